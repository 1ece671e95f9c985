// 公示 (publicity.html, no sign-in): decided penalties (行政处罚公示), the
// double-random draws with their seed, pool digests and a verify button
// (双随机抽查结果, 一公开), and licences granted (行政许可公示).
// Hash routes: #penalties[?year=] #draws #draw-ID #licences.
'use strict';

(() => {
  const { api, $, $$, h, put } = window.YJ;
  const { fmt, yuan } = window.ENF;
  const { t } = window.I18N;
  const body = $('#pub-body');
  let seq = 0;

  function route() {
    const raw = location.hash.replace(/^#/, '');
    const [path, qs] = raw.split('?');
    const params = new URLSearchParams(qs || '');
    let tab = path || 'penalties';
    let focus = null;
    const m = /^draw-(\d+)$/.exec(tab);
    if (m) { tab = 'draws'; focus = Number(m[1]); }
    for (const b of $$('#pub-tabs button')) {
      b.classList.toggle('active', b.dataset.tab === tab);
      b.setAttribute('aria-selected', String(b.dataset.tab === tab));
    }
    const my = ++seq;
    const fn = { penalties: penalties, draws: draws, licences: licences }[tab] || penalties;
    body.textContent = '';
    body.append(h('p', { class: 'muted' }, t('common.loading')));
    fn(params, my, focus).catch((e) => {
      if (my !== seq) return;
      body.textContent = '';
      body.append(h('p', { class: 'error banner' }, window.I18N.errorNode(e, { prefix: t('pub.cannot_load', { msg: '' }) })));
    });
  }

  // ---- 行政处罚公示 ----
  async function penalties(params, my) {
    const year = params.get('year') || '';
    const r = await api('GET', `/api/v1/public/penalties${year ? `?year=${encodeURIComponent(year)}` : ''}`);
    if (my !== seq) return;
    if (r.authority) { $('#authority').textContent = t('pub.brand_of', { authority: r.authority }); document.title = t('pub.doc_title', { authority: r.authority }); }
    const now = new Date().getFullYear();
    const years = [];
    for (let y = now; y >= now - 5; y--) years.push(String(y));
    const sel = h('select', { id: 'pen-year', 'aria-label': t('pub.year_aria'), onchange: () => { location.hash = sel.value ? `#penalties?year=${sel.value}` : '#penalties'; } },
      h('option', { value: '' }, t('pub.year_all')), years.map((y) => h('option', { value: y, selected: y === year }, t('pub.year', { y }))));
    const total = r.items.reduce((s, x) => s + (x.fine_yuan || 0), 0);
    body.textContent = '';
    body.append(h('div', { class: 'page-head' }, h('h2', null, t('pub.pen_title'), h('small', null, t('pub.pen_hint'))), sel,
      h('span', { class: 'muted', id: 'pen-summary' }, t('pub.pen_summary', { n: r.items.length, total: yuan(total) }))));
    if (!r.items.length) { body.append(h('p', { class: 'empty' }, t('pub.pen_none'))); return; }
    body.append(h('div', { class: 'tbl-box' }, h('table', { class: 'data', id: 'penalty-table' },
      h('thead', null, h('tr', null, ['col_no', 'col_party', 'col_credit', 'col_violation', 'col_basis', 'col_penalty', 'col_date', 'col_until', 'col_authority'].map((k) => h('th', null, t(`pub.${k}`))))),
      h('tbody', null, r.items.map((x) => h('tr', { dataset: { no: x.decision_no } },
        h('td', null, h('b', null, x.decision_no)),
        h('td', null, x.party, x.party_type === 'individual' ? h('small', null, t('pub.individual')) : null),
        h('td', null, x.credit_code || t('common.none')),
        h('td', { class: 'wrap' }, x.violation),
        h('td', { class: 'wrap' }, x.legal_basis || t('common.none')),
        h('td', { class: 'wrap' }, x.penalty),
        h('td', null, fmt(x.decided, { date: true })),
        h('td', null, fmt(x.publish_by, { date: true })),
        h('td', { class: 'wrap' }, x.authority, x.area ? h('small', null, ` ${x.area}`) : null)))))));
  }

  // ---- 双随机抽查结果 ----
  async function draws(_params, my, focus) {
    const r = await api('GET', '/api/v1/public/draws');
    if (my !== seq) return;
    let howto = '';
    if (r.items.length) {
      const one = await api('GET', `/api/v1/public/draws/${r.items[0].id}`).catch(() => null);
      if (my !== seq) return;
      howto = (one && one.how_to_verify) || '';
    }
    body.textContent = '';
    body.append(h('div', { class: 'page-head' }, h('h2', null, t('pub.draws_title'), h('small', null, t('pub.draws_hint')))),
      h('div', { class: 'card', id: 'howto' }, h('h3', null, t('pub.howto_title')),
        t('draw_howto.steps').map((x) => h('p', { class: 'muted' }, x)),
        h('p', { class: 'howto', id: 'howto-algo' }, h('b', null, t('draw_howto.algorithm_label')), t('draw_howto.algorithm')),
        // the server's technical text (English today) folded away as the detail
        howto ? h('details', { class: 'howto-server' }, h('summary', null, t('draw_howto.server_text')), h('p', { class: 'howto', lang: 'zh' }, howto)) : null));
    if (!r.items.length) { body.append(h('p', { class: 'empty' }, t('pub.draws_none'))); return; }
    for (const d of r.items) body.append(drawCard(d));
    if (focus) { const el = $(`#draw-${focus}`); if (el) el.scrollIntoView(); }
  }

  function drawCard(d) {
    const out = h('div', { class: 'verify-out', 'aria-live': 'polite' });
    const btn = h('button', { type: 'button', class: 'primary verify-btn' }, t('pub.verify'));
    btn.addEventListener('click', async () => {
      out.className = 'verify-out';
      out.textContent = t('enf.verifying');
      try {
        const v = await api('GET', `/api/v1/draws/${d.id}/verify`);
        out.className = `verify-out vr ${v.verified ? 'ok' : 'bad'}`;
        out.dataset.verified = String(v.verified);
        out.textContent = '';
        const flag = (ok, text) => h('li', { class: ok ? 'ok' : 'bad' }, `${ok ? '✓' : '✗'} ${text}`);
        // the three checks say what failed; the server's reasons are their detail
        if (v.reasons && v.reasons.length) { out.title = v.reasons.join('; '); out.dataset.detail = 'server'; }
        put(out, h('b', null, t(v.verified ? 'enf.verified_ok' : 'enf.verified_bad')),
          h('ul', null, flag(v.enterprise_pool_ok, t('pub.v_ent')), flag(v.inspector_pool_ok, t('pub.v_ins')), flag(v.result_ok, t('pub.v_result'))));
      } catch (e) {
        out.className = 'verify-out vr bad';
        out.textContent = t('enf.verify_failed', { msg: e.message });
      }
    });
    const mono = (s) => h('code', { class: 'hash' }, s);
    return h('article', { class: 'card draw-pub', id: `draw-${d.id}`, dataset: { id: d.id } },
      h('div', { class: 'l1' }, h('span', { class: 'tag' }, t('pub.draw_tag', { id: d.id })), h('span', { class: 'tag' }, t('pub.year_tag', { y: d.year })), h('span', { class: 'muted' }, t('pub.draw_meta', { t: fmt(d.drawn), area: d.area_code }))),
      h('h3', null, d.plan_name),
      h('dl', { class: 'kv' },
        h('dt', null, t('pub.k_algorithm')), h('dd', null, mono(d.algorithm)),
        h('dt', null, t('pub.k_seed')), h('dd', { class: 'seed' }, mono(d.seed)),
        h('dt', null, t('pub.k_ent_digest')), h('dd', null, mono(d.enterprise_pool_digest)),
        h('dt', null, t('pub.k_ins_digest')), h('dd', null, mono(d.inspector_pool_digest))),
      h('table', { class: 'data' },
        h('thead', null, h('tr', null, ['rcol_no', 'rcol_ent', 'rcol_credit', 'rcol_inspectors'].map((k) => h('th', null, t(`pub.${k}`))))),
        h('tbody', null, (d.result || []).map((x, i) => h('tr', null, h('td', { class: 'n' }, i + 1), h('td', null, x.enterprise), h('td', null, x.credit_code),
          h('td', null, (x.inspector_names || []).map((n) => `${n.name}${n.cert_no ? ` (${n.cert_no})` : ''}`).join('、')))))),
      h('div', { class: 'verify' }, btn,
        h('a', { class: 'btnlink', href: `/api/v1/public/draws/${d.id}`, target: '_blank', rel: 'noopener', download: `draw-${d.id}.json` }, t('pub.download')), out));
  }

  // ---- 行政许可公示 ----
  async function licences(_params, my) {
    const r = await api('GET', '/api/v1/public/licences');
    if (my !== seq) return;
    body.textContent = '';
    body.append(h('div', { class: 'page-head' }, h('h2', null, t('pub.lic_title'), h('small', null, t('pub.lic_hint')))));
    if (!r.items.length) {
      // the server's note (in its words) only as the title; the one it gives today in the table's
      const note = r.note ? (r.note === 'online licensing is not in this version yet' ? t('pub.lic_not_online') : '') : '';
      body.append(h('p', { class: 'empty', id: 'licence-empty', title: r.note || '', dataset: { detail: 'server' } }, t('pub.lic_none'), note ? h('small', null, note) : null));
      return;
    }
    const cols = t('pub.lic_cols');
    const keys = [...new Set(r.items.flatMap((x) => Object.keys(x)))].filter((k) => cols[k]);
    body.append(h('div', { class: 'tbl-box' }, h('table', { class: 'data', id: 'licence-table' },
      h('thead', null, h('tr', null, keys.map((k) => h('th', null, cols[k])))),
      h('tbody', null, r.items.map((x) => h('tr', null, keys.map((k) => h('td', { class: 'wrap' }, typeof x[k] === 'string' && /^\d{4}-\d\d-\d\dT/.test(x[k]) ? fmt(x[k], { date: true }) : String(x[k] ?? t('common.none'))))))))));
  }

  for (const b of $$('#pub-tabs button')) b.addEventListener('click', () => { location.hash = `#${b.dataset.tab}`; });
  window.addEventListener('hashchange', route);
  route();
})();
