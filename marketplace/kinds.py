"""Notification kinds the market sends."""

from notifications.kinds import register

register("proposal.new", "New or updated proposals on my projects")
register("proposal.withdrawn", "A freelancer withdrew a proposal")
register("proposal.shortlisted", "I was shortlisted")
register("proposal.declined", "My proposal was declined")
register("invitation.new", "Invitations to propose")
register("invitation.declined", "A freelancer declined my invitation")
register("interview.proposed", "Interview times offered to me")
register("interview.confirmed", "Interviews confirmed")
register("interview.cancelled", "Interviews cancelled")
register("project.closed", "Projects closed or expired")
