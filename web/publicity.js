// 公示 (publicity.html, no sign-in): decided penalties (行政处罚公示), the
// double-random draws with their seed, pool digests and a verify button
// (双随机抽查结果, 一公开), and licences granted (行政许可公示).
// Hash routes: #penalties[?year=] #draws #draw-ID #licences.
'use strict';

(() => {
  const { api, $, $$, h, put } = window.YJ;
  const { fmt, yuan } = window.ENF;
  const body = $('#pub-body');
  let seq = 0;

  const HOWTO_ZH = [
    '1. 下载抽取记录 (JSON): 含随机种子、企业池 (企业编号、权重、上次检查人员) 和检查人员池 (人员编号、回避企业)。',
    '2. 将两个池分别按“键名排序、无空格”的 JSON 计算 SHA-256, 应与公布的摘要一致 —— 抽取后池的任何改动都会被发现。',
    '3. 用公布的随机种子按下述算法重新抽取, 抽中的企业、顺序和检查人员应与公布的结果完全一致。',
    '也可点击“核验”由系统即时完成上述复核。',
  ];

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
    body.append(h('p', { class: 'muted' }, '加载中…'));
    fn(params, my, focus).catch((e) => {
      if (my !== seq) return;
      body.textContent = '';
      body.append(h('p', { class: 'error banner' }, `无法加载: ${e.message}`));
    });
  }

  // ---- 行政处罚公示 ----
  async function penalties(params, my) {
    const year = params.get('year') || '';
    const r = await api('GET', `/api/v1/public/penalties${year ? `?year=${encodeURIComponent(year)}` : ''}`);
    if (my !== seq) return;
    if (r.authority) { $('#authority').textContent = `${r.authority} · 行政执法公示`; document.title = `行政执法公示 · ${r.authority}`; }
    const now = new Date().getFullYear();
    const years = [];
    for (let y = now; y >= now - 5; y--) years.push(String(y));
    const sel = h('select', { id: 'pen-year', 'aria-label': '年度', onchange: () => { location.hash = sel.value ? `#penalties?year=${sel.value}` : '#penalties'; } },
      h('option', { value: '' }, '全部年度'), years.map((y) => h('option', { value: y, selected: y === year }, `${y} 年`)));
    const total = r.items.reduce((s, x) => s + (x.fine_yuan || 0), 0);
    body.textContent = '';
    body.append(h('div', { class: 'page-head' }, h('h2', null, '行政处罚决定公示 ', h('small', null, '作出决定之日起 7 个工作日内公示')), sel,
      h('span', { class: 'muted', id: 'pen-summary' }, `共 ${r.items.length} 宗 · 罚款合计 ${yuan(total)}`)));
    if (!r.items.length) { body.append(h('p', { class: 'empty' }, '暂无公示的行政处罚决定。')); return; }
    body.append(h('div', { class: 'tbl-box' }, h('table', { class: 'data', id: 'penalty-table' },
      h('thead', null, h('tr', null, ['决定书文号', '当事人', '统一社会信用代码', '违法行为', '处罚依据', '处罚内容', '决定日期', '公示期限', '处罚机关'].map((t) => h('th', null, t)))),
      h('tbody', null, r.items.map((x) => h('tr', { dataset: { no: x.decision_no } },
        h('td', null, h('b', null, x.decision_no)),
        h('td', null, x.party, x.party_type === 'individual' ? h('small', null, ' (个人)') : null),
        h('td', null, x.credit_code || '—'),
        h('td', { class: 'wrap' }, x.violation),
        h('td', { class: 'wrap' }, x.legal_basis || '—'),
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
    body.append(h('div', { class: 'page-head' }, h('h2', null, '“双随机、一公开”抽查结果 ', h('small', null, '随机抽取检查对象, 随机选派执法检查人员'))),
      h('div', { class: 'card', id: 'howto' }, h('h3', null, '如何复核抽取结果'),
        HOWTO_ZH.map((t) => h('p', { class: 'muted' }, t)),
        howto ? h('p', { class: 'howto', id: 'howto-algo' }, h('b', null, '算法 yingji-draw-1: '), howto) : null));
    if (!r.items.length) { body.append(h('p', { class: 'empty' }, '暂无抽查记录。')); return; }
    for (const d of r.items) body.append(drawCard(d));
    if (focus) { const el = $(`#draw-${focus}`); if (el) el.scrollIntoView(); }
  }

  function drawCard(d) {
    const out = h('div', { class: 'verify-out', 'aria-live': 'polite' });
    const btn = h('button', { type: 'button', class: 'primary verify-btn' }, '核验');
    btn.addEventListener('click', async () => {
      out.className = 'verify-out';
      out.textContent = '核验中…';
      try {
        const v = await api('GET', `/api/v1/draws/${d.id}/verify`);
        out.className = `verify-out vr ${v.verified ? 'ok' : 'bad'}`;
        out.dataset.verified = String(v.verified);
        out.textContent = '';
        const flag = (ok, t) => h('li', { class: ok ? 'ok' : 'bad' }, `${ok ? '✓' : '✗'} ${t}`);
        put(out, h('b', null, v.verified ? '✓ 核验通过 (verified: true)' : '✗ 核验未通过 (verified: false)'),
          h('ul', null, flag(v.enterprise_pool_ok, '企业池摘要一致'), flag(v.inspector_pool_ok, '检查人员池摘要一致'), flag(v.result_ok, '重新抽取结果一致')),
          v.reasons && v.reasons.length ? h('p', null, v.reasons.join('; ')) : null);
      } catch (e) {
        out.className = 'verify-out vr bad';
        out.textContent = `无法核验: ${e.message}`;
      }
    });
    const mono = (s) => h('code', { class: 'hash' }, s);
    return h('article', { class: 'card draw-pub', id: `draw-${d.id}`, dataset: { id: d.id } },
      h('div', { class: 'l1' }, h('span', { class: 'tag' }, `抽取 #${d.id}`), h('span', { class: 'tag' }, `${d.year} 年度`), h('span', { class: 'muted' }, `抽取时间 ${fmt(d.drawn)} · 区域 ${d.area_code}`)),
      h('h3', null, d.plan_name),
      h('dl', { class: 'kv' },
        h('dt', null, '算法'), h('dd', null, mono(d.algorithm)),
        h('dt', null, '随机种子'), h('dd', { class: 'seed' }, mono(d.seed)),
        h('dt', null, '企业池摘要'), h('dd', null, mono(d.enterprise_pool_digest)),
        h('dt', null, '检查人员池摘要'), h('dd', null, mono(d.inspector_pool_digest))),
      h('table', { class: 'data' },
        h('thead', null, h('tr', null, ['序号', '抽中企业', '统一社会信用代码', '检查人员 (执法证号)'].map((t) => h('th', null, t)))),
        h('tbody', null, (d.result || []).map((x, i) => h('tr', null, h('td', { class: 'n' }, i + 1), h('td', null, x.enterprise), h('td', null, x.credit_code),
          h('td', null, (x.inspector_names || []).map((n) => `${n.name}${n.cert_no ? ` (${n.cert_no})` : ''}`).join('、')))))),
      h('div', { class: 'verify' }, btn,
        h('a', { class: 'btnlink', href: `/api/v1/public/draws/${d.id}`, target: '_blank', rel: 'noopener', download: `draw-${d.id}.json` }, '下载抽取记录 (JSON)'), out));
  }

  // ---- 行政许可公示 ----
  async function licences(_params, my) {
    const r = await api('GET', '/api/v1/public/licences');
    if (my !== seq) return;
    body.textContent = '';
    body.append(h('div', { class: 'page-head' }, h('h2', null, '行政许可公示 ', h('small', null, '准予许可的决定'))));
    if (!r.items.length) {
      body.append(h('p', { class: 'empty', id: 'licence-empty' }, '暂无公示的行政许可。', r.note ? h('small', null, ` (${r.note === 'online licensing is not in this version yet' ? '网上许可办理尚未接入本系统' : r.note})`) : null));
      return;
    }
    const keys = [...new Set(r.items.flatMap((x) => Object.keys(x)))];
    const LBL = { licence_no: '许可证编号', holder: '持证单位/人', credit_code: '统一社会信用代码', type: '许可类型', scope: '许可范围', issued: '发证日期', valid_to: '有效期至', authority: '发证机关' };
    body.append(h('div', { class: 'tbl-box' }, h('table', { class: 'data', id: 'licence-table' },
      h('thead', null, h('tr', null, keys.map((k) => h('th', null, LBL[k] || k)))),
      h('tbody', null, r.items.map((x) => h('tr', null, keys.map((k) => h('td', { class: 'wrap' }, typeof x[k] === 'string' && /^\d{4}-\d\d-\d\dT/.test(x[k]) ? fmt(x[k], { date: true }) : String(x[k] ?? '—')))))))));
  }

  for (const b of $$('#pub-tabs button')) b.addEventListener('click', () => { location.hash = `#${b.dataset.tab}`; });
  window.addEventListener('hashchange', route);
  route();
})();
