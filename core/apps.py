from django.apps import AppConfig, apps
from django.db.models.signals import post_delete


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from core.files import StoredFile, delete_file_after_commit

        # Every kind of attachment, whichever app defines it, loses its file with its row.
        for model in apps.get_models():
            if issubclass(model, StoredFile):
                post_delete.connect(
                    delete_file_after_commit, sender=model, dispatch_uid=f"stored-file-{model._meta.label}"
                )
