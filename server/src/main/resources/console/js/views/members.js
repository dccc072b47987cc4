// Members by side, with their shares and how they stand against their targets.
import { h, replace, bps, money, errorText } from '../dom.js';

function targetText(target, currency) {
  switch (target.metric) {
    case 'REVENUE': return `target ${money(target.amount, currency)}/month`;
    case 'CYCLES': return `target ${target.amount} cycles/month`;
    case 'UPTIME': return `target ${bps(target.amount)} uptime`;
    default: return `target ${target.amount} (reported)/month`;
  }
}

export function membersView(root, ctx) {
  const body = h('div', { class: 'sides' });
  const invitations = h('div', { class: 'invitations' });
  const help = h('div', { class: 'help-cases' });
  replace(root, h('h2', {}, 'Members'), body, invitations, help);

  // Help before replacement: each case of a member flagged at risk, its shortfall and its pledges.
  function helpCase(c) {
    const status = { OPEN: 'warn', RECOVERED: 'good', FAILED: 'bad', ENDED: '' }[c.status] ?? '';
    const short = (c.shortfalls ?? []).map((s) => `${s.period}: ${s.metric === 'REVENUE' ? money(s.shortBy ?? 0, ctx.emc?.currency) : (s.shortBy ?? 0)} short`);
    return h(
      'li',
      { class: 'help-case', 'data-case-id': c.caseId, 'data-status': c.status },
      h('div', { class: 'row' }, h('strong', {}, `${ctx.name(c.meId)} · ${c.caseId}`), h('span', { class: 'tag ' + status }, c.status.toLowerCase()),
        c.leaveAgreed ? h('span', { class: 'tag' }, 'agreed to leave') : null),
      h('div', { class: 'muted small' }, short.join(' · ') || 'no period closed yet', ` · help for ${c.helpPeriods ?? 1} period(s)`),
      (c.pledges ?? []).length
        ? h('ul', { class: 'plain pledges' }, c.pledges.map((p) =>
            h('li', { 'data-pledge-id': p.pledgeId, 'data-status': p.status },
              `${ctx.name(p.helperMeId)}: ${p.kind.toLowerCase()}`,
              p.kind === 'ADVANCE' ? ` of ${money(p.amountMinor ?? 0, ctx.emc?.currency)}, repaid ${money(p.repaidMinor ?? 0, ctx.emc?.currency)}` : '',
              ` — ${p.description} `, h('span', { class: 'tag' }, p.status.toLowerCase()))))
        : h('div', { class: 'muted small' }, 'no pledges yet'),
      (c.outstandingMinor ?? 0) > 0 ? h('div', { class: 'small' }, `still owed: ${money(c.outstandingMinor, ctx.emc?.currency)}`) : null,
    );
  }

  function standing(member, statement) {
    if (member.owner) return h('span', { class: 'tag' }, 'owner');
    const share = statement?.shares?.find((s) => s.meId === member.meId);
    const result = share?.target;
    if (!result) return h('span', { class: 'tag' }, statement?.closed ? 'no result' : 'period open');
    if (result.atRisk) return h('span', { class: 'tag bad' }, `at risk (${result.missedInRow} missed)`);
    return h('span', { class: 'tag ' + (result.met ? 'good' : 'warn') }, result.met ? 'target met' : 'target missed');
  }

  // the charter versions a contract was made under (0: before charters); a later charter applies from its next change
  function charterOf(contract) {
    if (!contract) return null;
    const org = contract.charterVersion ?? 0;
    const own = contract.emcCharterVersion ?? 0;
    return h('span', { class: 'muted small contract-charter', 'data-charter-version': org, 'data-emc-charter-version': own },
      `contract v${contract.version} · charter v${org}` + (own ? ` + EMC v${own}` : ''));
  }

  // only the owner's operators may cancel; the server checks it again
  function cancelButton(emc, removal, note) {
    return h('button', {
      type: 'button',
      class: 'link cancel-removal',
      'data-cancel-removal': removal.meId,
      onclick: (e) => {
        e.target.disabled = true;
        ctx.http.cancelRemoval(emc.emcId, removal.meId)
          .then(() => replace(note, 'removal cancelled'))
          .catch((err) => { e.target.disabled = false; replace(note, errorText(err)); });
      },
    }, 'cancel removal');
  }

  function card(member, statement, emc) {
    const terms = member.contract?.terms;
    const note = h('span', { class: 'small removal-note' });
    // a removal with notice (the charter's removal-notice): the member stays until effectiveAt unless the owner cancels
    const removal = (emc.scheduledRemovals ?? []).find((r) => r.meId === member.meId);
    const target = terms?.target;
    return h(
      'li',
      { class: 'member', 'data-me-id': member.meId },
      h('div', { class: 'row' }, h('strong', {}, ctx.name(member.meId)), standing(member, statement)),
      h('div', { class: 'muted' }, member.role, ' · ', member.meId),
      h(
        'div',
        { class: 'row' },
        h('span', { class: 'share' }, member.owner ? bps(ctx.emc?.ownerShareBps) + ' (rest)' : bps(terms?.shareBps)),
        target ? h('span', { class: 'muted' }, targetText(target, ctx.emc?.currency)) : null,
      ),
      member.owner ? null : h('div', {}, charterOf(member.contract)),
      member.proposedTerms ? h('div', { class: 'tag warn' }, 'new terms proposed: ' + bps(member.proposedTerms.shareBps)) : null,
      removal
        ? h('div', { class: 'tag bad', 'data-removal-at': removal.effectiveAt },
            `removal scheduled: leaves ${new Date(removal.effectiveAt).toLocaleString()} (charter v${removal.charterVersion ?? 0})`,
            ctx.owner ? [' ', cancelButton(emc, removal, note), ' ', note] : null)
        : null,
    );
  }

  return {
    show(emc, statement) {
      const sides = ['EXPERIENCE', 'SOLUTION'].map((side) =>
        h(
          'section',
          { class: 'side', 'data-side': side },
          h('h3', {}, side === 'EXPERIENCE' ? 'Experience side' : 'Solution side'),
          h('ul', { class: 'cards' }, emc.members.filter((m) => m.side === side).map((m) => card(m, statement, emc))),
        ),
      );
      replace(body, sides);
      const pending = emc.invitations.filter((i) => i.status === 'PENDING');
      replace(
        invitations,
        pending.length
          ? [h('h3', {}, 'Pending invitations'), h('ul', { class: 'plain' }, pending.map((i) => h('li', {}, `${ctx.name(i.meId)} as ${i.role} (${i.side.toLowerCase()}), ${bps(i.terms?.shareBps)}`)))]
          : [],
      );
      const cases = (emc.helpCases ?? []).slice().reverse();
      replace(help, cases.length ? [h('h3', {}, 'Help before replacement'), h('ul', { class: 'cards' }, cases.map(helpCase))] : []);
    },
  };
}
