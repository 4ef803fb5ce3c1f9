"""Notification kinds about reviews."""

from notifications.kinds import register

register("review.waiting", "The other side reviewed me: write mine to read theirs")
register("review.published", "Reviews of me published")
register("review.reminder", "Reminders to review a finished contract before the time runs out")
