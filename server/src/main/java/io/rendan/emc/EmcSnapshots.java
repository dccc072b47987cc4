package io.rendan.emc;

import static io.rendan.emc.EmcSerializer.contract;
import static io.rendan.emc.EmcSerializer.instant;
import static io.rendan.emc.EmcSerializer.orEmpty;
import static io.rendan.emc.EmcSerializer.orNull;
import static io.rendan.emc.EmcSerializer.revenue;
import static io.rendan.emc.EmcSerializer.terms;
import static io.rendan.emc.EmcSerializer.ts;
import static io.rendan.vocabulary.StoredVocabulary.side;

import io.rendan.emc.EmcAccounts.*;
import io.rendan.emc.EmcEvents.*;
import io.rendan.emc.EmcMembership.*;
import io.rendan.protocol.persistence.v1.EmcSnapshot;
import io.rendan.protocol.persistence.v1.StoredContract;
import io.rendan.protocol.persistence.v1.StoredInvitation;
import io.rendan.protocol.persistence.v1.StoredMember;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The EMC's snapshot ({@code emc.snapshot}) as the protobuf {@code EmcSnapshot}: members,
 * invitations, accounts and help cases; {@link EmcSerializer} maps the events and the
 * helpers both share.
 */
final class EmcSnapshots {
  private EmcSnapshots() {}

  static EmcSnapshot snapshot(EmcState s) {
    EmcSnapshot.Builder b = EmcSnapshot.newBuilder().setEmcId(s.emcId()).setVersion(s.version());
    if (!s.isStarted()) {
      return b.build();
    }
    b.setName(s.name())
        .setUserGroup(s.userGroup())
        .setOwnerMeId(s.ownerMeId())
        .setStatus(
            switch (s.status()) {
              case FORMING -> EmcSnapshot.Status.STATUS_FORMING;
              case ACTIVE -> EmcSnapshot.Status.STATUS_ACTIVE;
              case DISSOLVED -> EmcSnapshot.Status.STATUS_DISSOLVED;
            })
        .setCreatedAt(ts(s.createdAt()));
    for (Member m : s.members().values()) {
      StoredMember.Builder mb =
          StoredMember.newBuilder()
              .setMeId(m.meId())
              .setSide(side(m.side()))
              .setRole(m.role())
              .setOwner(m.owner())
              .setJoinedAt(ts(m.joinedAt()))
              .setEmcMember(m.emcMember());
      for (Contract c : m.history()) {
        mb.addHistory(EmcSerializer.contract(c));
      }
      if (m.proposedTerms() != null) {
        mb.setProposedTerms(terms(m.proposedTerms()));
      }
      b.addMembers(mb);
    }
    for (Invitation i : s.invitations().values()) {
      b.addInvitations(
          StoredInvitation.newBuilder()
              .setInvitationId(i.invitationId())
              .setMeId(i.meId())
              .setSide(side(i.side()))
              .setRole(i.role())
              .setTerms(terms(i.terms()))
              .setStatus(
                  switch (i.status()) {
                    case PENDING -> StoredInvitation.Status.STATUS_PENDING;
                    case ACCEPTED -> StoredInvitation.Status.STATUS_ACCEPTED;
                    case DECLINED -> StoredInvitation.Status.STATUS_DECLINED;
                    case EXPIRED -> StoredInvitation.Status.STATUS_EXPIRED;
                  })
              .setExpiresAt(ts(i.expiresAt()))
              .setCreatedAt(ts(i.createdAt()))
              .setReplacesMeId(orEmpty(i.replacesMeId()))
              .setEmcMember(i.emcMember()));
    }
    Accounts acc = s.accounts();
    b.setCurrency(orEmpty(acc.currency())).setClosedThrough(orEmpty(acc.closedThrough()));
    for (OwnerSpell o : acc.owners()) {
      b.addOwners(io.rendan.protocol.persistence.v1.StoredOwnerSpell.newBuilder().setMeId(o.meId()).setFrom(ts(o.from())));
    }
    for (FormerMember f : acc.formers()) {
      var fb =
          io.rendan.protocol.persistence.v1.StoredFormerMember.newBuilder()
              .setMeId(f.meId())
              .setJoinedAt(ts(f.joinedAt()))
              .setLeftAt(ts(f.leftAt()))
              .setEmcMember(f.emcMember());
      f.history().forEach(c -> fb.addHistory(contract(c)));
      b.addFormers(fb);
    }
    acc.revenues().values().forEach(r -> b.addRevenues(revenue(r)));
    acc.tallies()
        .forEach(
            (period, t) ->
                b.addTallies(
                    io.rendan.protocol.persistence.v1.StoredTally.newBuilder()
                        .setPeriod(period)
                        .addAllRevenue(amounts(t.revenue()))
                        .addAllCycles(amounts(t.cycles()))
                        .addAllReported(amounts(t.reported()))));
    acc.standings()
        .forEach(
            (meId, st) ->
                b.addStandings(
                    io.rendan.protocol.persistence.v1.StoredStanding.newBuilder()
                        .setMeId(meId)
                        .setMissedInRow(st.missedInRow())
                        .setAtRisk(st.atRisk())));
    HelpSerialization.addTo(b, s.help());
    s.removals().values().forEach(r -> b.addScheduledRemovals(RemovalNotice.stored(r)));
    return b.build();
  }

  static EmcState state(EmcSnapshot p) {
    if (!p.hasCreatedAt()) {
      return EmcState.empty(p.getEmcId(), p.getVersion());
    }
    Map<String, Member> members = new TreeMap<>();
    for (StoredMember m : p.getMembersList()) {
      List<Contract> history = new ArrayList<>();
      for (StoredContract c : m.getHistoryList()) {
        history.add(EmcSerializer.contract(c));
      }
      members.put(
          m.getMeId(),
          new Member(
              m.getMeId(),
              side(m.getSide()),
              m.getRole(),
              m.getOwner(),
              history,
              m.hasProposedTerms() ? terms(m.getProposedTerms()) : null,
              instant(m.getJoinedAt()),
              m.getEmcMember()));
    }
    Map<String, Invitation> invitations = new LinkedHashMap<>();
    for (StoredInvitation i : p.getInvitationsList()) {
      InvitationStatus status =
          switch (i.getStatus()) {
            case STATUS_PENDING -> InvitationStatus.PENDING;
            case STATUS_ACCEPTED -> InvitationStatus.ACCEPTED;
            case STATUS_DECLINED -> InvitationStatus.DECLINED;
            case STATUS_EXPIRED -> InvitationStatus.EXPIRED;
            default -> throw new IllegalArgumentException("stored invitation status " + i.getStatus());
          };
      invitations.put(
          i.getInvitationId(),
          new Invitation(
              i.getInvitationId(),
              i.getMeId(),
              side(i.getSide()),
              i.getRole(),
              terms(i.getTerms()),
              status,
              instant(i.getExpiresAt()),
              instant(i.getCreatedAt()),
              orNull(i.getReplacesMeId()),
              i.getEmcMember()));
    }
    Status status =
        switch (p.getStatus()) {
          case STATUS_FORMING -> Status.FORMING;
          case STATUS_ACTIVE -> Status.ACTIVE;
          case STATUS_DISSOLVED -> Status.DISSOLVED;
          default -> throw new IllegalArgumentException("stored EMC status " + p.getStatus());
        };
    return new EmcState(
        p.getEmcId(),
        p.getName(),
        p.getUserGroup(),
        p.getOwnerMeId(),
        status,
        members,
        invitations,
        instant(p.getCreatedAt()),
        p.getVersion(),
        accounts(p),
        HelpSerialization.cases(p),
        removals(p));
  }

  private static Map<String, RemovalNotice.Scheduled> removals(EmcSnapshot p) {
    Map<String, RemovalNotice.Scheduled> removals = new java.util.TreeMap<>();
    p.getScheduledRemovalsList().forEach(r -> removals.put(r.getMeId(), RemovalNotice.scheduled(r)));
    return removals;
  }

  private static Accounts accounts(EmcSnapshot p) {
    List<OwnerSpell> owners = new ArrayList<>();
    p.getOwnersList().forEach(o -> owners.add(new OwnerSpell(o.getMeId(), instant(o.getFrom()))));
    List<FormerMember> formers = new ArrayList<>();
    for (var f : p.getFormersList()) {
      List<Contract> history = new ArrayList<>();
      f.getHistoryList().forEach(c -> history.add(contract(c)));
      formers.add(new FormerMember(f.getMeId(), history, instant(f.getJoinedAt()), instant(f.getLeftAt()), f.getEmcMember()));
    }
    Map<String, RevenueShared> revenues = new LinkedHashMap<>();
    p.getRevenuesList().forEach(r -> revenues.put(r.getRevenueId(), revenue(r)));
    Map<String, Tally> tallies = new TreeMap<>();
    p.getTalliesList()
        .forEach(t -> tallies.put(t.getPeriod(), new Tally(amounts(t.getRevenueList()), amounts(t.getCyclesList()), amounts(t.getReportedList()))));
    Map<String, Standing> standings = new TreeMap<>();
    p.getStandingsList().forEach(st -> standings.put(st.getMeId(), new Standing(st.getMissedInRow(), st.getAtRisk())));
    return new Accounts(orNull(p.getCurrency()), owners, formers, revenues, orNull(p.getClosedThrough()), tallies, standings);
  }

  private static List<io.rendan.protocol.persistence.v1.StoredAmount> amounts(Map<String, Long> values) {
    List<io.rendan.protocol.persistence.v1.StoredAmount> list = new ArrayList<>();
    values.forEach((k, v) -> list.add(io.rendan.protocol.persistence.v1.StoredAmount.newBuilder().setMeId(k).setValue(v).build()));
    return list;
  }

  private static Map<String, Long> amounts(List<io.rendan.protocol.persistence.v1.StoredAmount> list) {
    Map<String, Long> values = new TreeMap<>();
    list.forEach(a -> values.put(a.getMeId(), a.getValue()));
    return values;
  }
}
