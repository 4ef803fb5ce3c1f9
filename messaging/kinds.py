"""The notification kinds messaging sends, registered when the app loads."""

from notifications.kinds import register

MESSAGE_NEW = register("message.new", "New messages", email_default=True)
