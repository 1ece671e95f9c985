// Shared pieces of the enforcement pages (执法工作台 enforce.html, 企业整改
// enterprise.html, 公示 publicity.html): Chinese labels of the enforcement
// values, evidence upload (raw body + X-Filename) and thumbnails, deadline
// texts and state chips. Loaded after common.js (window.YJ); plain browser JS.
'use strict';

window.ENF = (() => {
  const { h } = window.YJ;

  const L = {
    KIND: { draw: '双随机抽查', adhoc: '专项检查', expert: '专家指导服务', duty_check: '值班值守抽查' },
    REASON: { complaint: '投诉举报', accident: '事故调查', campaign: '专项行动', 'duty spot check': '值班抽查' },
    INSPECTION: { assigned: '待检查', recorded: '已记录 · 待确认', confirmed: '已确认' },
    RESULT: { ok: '符合', problem: '存在问题', na: '不适用' },
    LEVEL: { general: '一般隐患', major: '重大隐患' },
    HAZARD: { open: '待整改', rectification_submitted: '待验收', verified_closed: '已验收销号' },
    SOURCE: { inspection: '执法检查', expert: '专家指导', duty_check: '值班抽查' },
    VERDICT: { accepted: '验收通过', rejected: '退回重新整改' },
    CASE: {
      draft: '待立案', filed: '已立案', investigating: '调查取证', notified: '已告知', hearing: '听证',
      legal_review: '法制审核', collective_discussion: '集体讨论', reviewed: '待决定', decided: '已作出决定',
      served: '已送达', executed: '已执行', closed: '已结案',
    },
    ACTION: {
      file: '立案', investigate: '开始调查', notify: '处罚告知', request_hearing: '申请听证', submit_review: '提交法制审核',
      approve_review: '法制审核通过', reject_review: '法制审核退回', discuss: '集体讨论', decide: '作出处罚决定',
      extend: '延长办案期限', serve: '送达决定书', record_payment: '登记缴纳罚款', enforce: '强制执行', close: '结案',
      create: '创建案件',
    },
    // who does each step (the server checks; the page says it beforehand)
    ACTION_ROLE: {
      file: 'commander', investigate: 'inspector', notify: 'inspector', request_hearing: 'inspector', submit_review: 'inspector',
      approve_review: 'legal_reviewer', reject_review: 'legal_reviewer', discuss: 'commander', decide: 'commander',
      extend: 'commander', serve: 'inspector', record_payment: 'inspector', enforce: 'commander', close: 'commander',
    },
    ROLE: {
      admin: '系统管理员', commander: '指挥长', duty_officer: '值班员', inspector: '执法人员', legal_reviewer: '法制审核员',
      licensing_clerk: '许可审批员', warehouse_keeper: '仓库管理员', grid_worker: '网格员', enterprise: '企业用户',
    },
    PLAN: { ready: '待抽取', drawn: '已抽取' },
    SECTOR: {
      hazardous_chemicals: '危险化学品', fireworks: '烟花爆竹', non_coal_mine: '非煤矿山', ammonia_refrigeration: '涉氨制冷',
      dust_explosion: '粉尘涉爆', confined_space: '有限空间', metallurgy: '冶金工贸', other: '其他',
    },
    RISK: { red: '红 (重大风险)', orange: '橙 (较大风险)', yellow: '黄 (一般风险)', blue: '蓝 (低风险)' },
    SERVE: ['直接送达', '留置送达', '邮寄送达', '电子送达', '委托送达', '公告送达'],
  };
  const lbl = (table, v) => (v === null || v === undefined ? '—' : (L[table] && L[table][v]) || v);

  // <span class="chip k-state">label</span>
  const chip = (table, v, extra = '') => h('span', { class: `chip ${table.toLowerCase()}-${v} ${extra}`.trim(), dataset: { v: v || '' } }, lbl(table, v));

  // times as the server wrote them (its offset), to the minute
  function fmt(s, { date = false } = {}) {
    if (!s) return '—';
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(s);
    if (!m) return s;
    return date ? `${m[1]}-${m[2]}-${m[3]}` : `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
  }
  const yuan = (n) => (typeof n === 'number' ? `${n.toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 元` : '—');

  // "剩 3 天" / "今日到期" / "逾期 2 天", with a class for colour
  function deadlineInfo(deadline, { overdue = false, closed = false } = {}) {
    if (!deadline) return { text: '—', cls: '' };
    if (closed) return { text: `期限 ${fmt(deadline, { date: true })}`, cls: 'dl-done' };
    const ms = Date.parse(deadline) - Date.now();
    if (overdue || ms < 0) return { text: `已逾期 ${Math.max(1, Math.ceil(-ms / 86400000))} 天`, cls: 'dl-over' };
    const days = Math.floor(ms / 86400000); // whole days left
    if (days < 1) return { text: '今日到期', cls: 'dl-soon' };
    return { text: `剩 ${days} 天`, cls: days <= 3 ? 'dl-soon' : 'dl-ok' };
  }

  // a header carries only ISO-8859-1: other names go percent-encoded (shown decoded)
  const headerName = (name) => (/^[\x20-\x7e]*$/.test(name) ? name : encodeURIComponent(name));
  function shownName(n) {
    if (!n) return '';
    try { return /%[0-9A-Fa-f]{2}/.test(n) ? decodeURIComponent(n) : n; } catch { return n; }
  }

  // POST the file's bytes as the request body; {sha256, url} or an Error with the server's message
  async function upload(url, file) {
    let res;
    try {
      res = await fetch(url, {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: { 'X-Filename': headerName(file.name || 'evidence'), 'Content-Type': 'application/octet-stream' },
      });
    } catch {
      const err = new Error('网络不可用 (network error)');
      err.status = 0;
      throw err;
    }
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || `${res.status} ${res.statusText}`);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // thumbnails of evidence [{sha256, mime, name}]: photos as images, the rest as tiles; each opens in a new tab
  function thumbs(list, { empty = '暂无照片或证据' } = {}) {
    const box = h('div', { class: 'thumbs' });
    for (const ev of list || []) {
      const url = `/api/v1/evidence/${ev.sha256}`;
      const name = shownName(ev.name);
      const kind = (ev.mime || '').split('/')[0];
      box.append(h('a', { class: `thumb t-${kind || 'file'}`, href: url, target: '_blank', rel: 'noopener', title: `${name}\nSHA-256 ${ev.sha256}`, dataset: { sha: ev.sha256 } },
        kind === 'image' ? h('img', { src: url, alt: name, loading: 'lazy' })
          : h('span', { class: 'tile' }, ev.mime === 'application/pdf' ? 'PDF' : kind === 'video' ? '视频' : kind === 'audio' ? '录音' : '文件'),
        h('span', { class: 'cap' }, name || ev.sha256.slice(0, 8))));
    }
    if (!box.childElementCount) box.append(h('span', { class: 'muted' }, empty));
    return box;
  }

  // a file input that uploads each chosen file to url() and calls done(result) after each
  function uploader({ id, url, done, label = '上传照片', accept = 'image/*,application/pdf,audio/*,video/*', disabled = false }) {
    const status = h('span', { class: 'up-status', role: 'status' });
    const input = h('input', { type: 'file', id, multiple: true, accept, disabled });
    input.addEventListener('change', async () => {
      const files = [...input.files];
      input.value = '';
      let ok = 0;
      status.className = 'up-status';
      for (const [i, f] of files.entries()) {
        status.textContent = `上传中 ${i + 1}/${files.length}: ${f.name}`;
        try {
          await upload(url(), f);
          ok++;
          await done();
        } catch (err) {
          status.className = 'up-status error';
          status.textContent = `${f.name}: ${err.message}`;
          return;
        }
      }
      status.textContent = ok ? `已上传 ${ok} 个文件` : '';
    });
    return h('div', { class: 'uploader' }, h('label', { class: `filebtn${disabled ? ' disabled' : ''}` }, input, h('span', null, `+ ${label}`)), status);
  }

  // an error paragraph: the server's message as it came
  function showError(el, err) {
    el.textContent = err ? err.message || String(err) : '';
    el.hidden = !err;
  }

  // date input value (local) -> RFC 3339 at the end of that day, local time
  function endOfDay(dateStr) {
    const d = new Date(`${dateStr}T23:59:59`);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  const dateIn = (days) => {
    const d = new Date(Date.now() + days * 86400000);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  const localNow = () => {
    const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 16);
  };

  async function logout() {
    try { await window.YJ.api('POST', '/api/v1/auth/logout'); } catch { /* signed out anyway */ }
    location.href = '/';
  }

  return { L, lbl, chip, fmt, yuan, deadlineInfo, upload, thumbs, uploader, showError, endOfDay, dateIn, localNow, shownName, logout };
})();
