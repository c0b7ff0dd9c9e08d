"""What a supervisor may reach: their own teams, those teams' agents and campaigns.

A team has members (supervisors and agents, by each user's role) and campaigns (those whose
``team_id`` names it). Admins reach everything; a supervisor only what their teams hold, so
they cannot give themselves a campaign to read its patients, nor read another team's
dispositions and notes. The whole table is in docs/roles.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.content import ContentError
from server.identity import Principal
from server.models import Assignment, Campaign, TeamMember, User


@dataclass(frozen=True)
class StaffScope:
    """None in a field means "everything" (an admin)."""

    teams: frozenset[str] | None
    campaigns: frozenset[str] | None
    agents: frozenset[str] | None

    def campaign(self, campaign_id: str, session: Session | None = None) -> None:
        """Refuse another team's campaign; with ``session``, leave a missing one to the
        service (its 404)."""
        if self.campaigns is None or campaign_id in self.campaigns:
            return
        if session is not None and session.get(Campaign, campaign_id) is None:
            return
        raise ContentError("that campaign is not one of your teams' campaigns", 403)

    def agent(self, user_id: str) -> None:
        if self.agents is not None and user_id not in self.agents:
            raise ContentError("that user is not an agent of your teams", 403)

    def team(self, team_id: str) -> None:
        if self.teams is not None and team_id not in self.teams:
            raise ContentError("that team is not one of yours", 403)


def scope_of(session: Session, who: Principal) -> StaffScope:
    if who.role == "admin":
        return StaffScope(None, None, None)
    if who.role != "supervisor":
        return StaffScope(frozenset(), frozenset(), frozenset())
    teams = frozenset(
        session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == who.user_id))
    )
    campaigns = frozenset(session.scalars(select(Campaign.id).where(Campaign.team_id.in_(teams))))
    agents = frozenset(
        session.scalars(
            select(TeamMember.user_id)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id.in_(teams), User.role == "agent")
        )
    )
    return StaffScope(teams, campaigns, agents)


def check_assignment(
    session: Session, who: Principal, campaign_id: str, user_id: str | None, team_id: str | None
) -> None:
    """A supervisor assigns only their teams' agents, or their own teams, to their teams'
    campaigns (never themselves: a supervisor is not an agent of any team)."""
    scope = scope_of(session, who)
    scope.campaign(campaign_id, session)
    if user_id is not None:
        scope.agent(user_id)
    if team_id is not None:
        scope.team(team_id)


def check_unassignment(session: Session, who: Principal, assignment_id: str) -> None:
    row = session.get(Assignment, assignment_id)
    if row is None or who.role == "admin":
        return  # the service answers 404 for a missing one
    check_assignment(session, who, row.campaign_id, row.user_id, row.team_id)
