"""Reading settings from the environment, and what the media origin is for the Content-Security-Policy."""

from __future__ import annotations

import os
from urllib.parse import urlsplit


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def media_origins(*, bucket: str, custom_domain: str | None, endpoint_url: str | None, region: str | None) -> list[str]:
    """Where S3 media URLs point: the CDN's domain, the S3-compatible endpoint, or AWS's bucket host names."""
    if custom_domain:
        return [f"https://{custom_domain.split('/')[0]}"]
    if endpoint_url:
        endpoint = urlsplit(endpoint_url)
        return [f"{endpoint.scheme}://{endpoint.netloc}"]  # boto3 puts the bucket in the path here
    hosts = [f"{bucket}.s3.amazonaws.com"] + ([f"{bucket}.s3.{region}.amazonaws.com"] if region else [])
    return [f"https://{host}" for host in hosts]
