// explain_page.js -- the script of `tg explain --format html` (compiled into
// tg, see explain_html.c). It steps a cursor through the steps of the data
// (the forward pass, then the reverse sweep, one node a step): the current
// node is highlighted on the graph and in the tape, values appear on the
// graph as their nodes are computed (green) and gradients as the sweep
// reaches them (red), and the equations panel shows the step's equations.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('tg-data').textContent);
  const byId = new Map(data.tensors.map((t) => [t.id, t]));
  const forwardAt = new Map(); // tensor id -> index of the step computing it
  data.steps.forEach((s, i) => {
    if (s.phase === 'forward' && !forwardAt.has(s.node)) forwardAt.set(s.node, i);
  });
  let cursor = 0;

  // A long chain a = b = c shown one "= ..." a line, as the text output
  // does: split at the top-level " = " (outside braces).
  function aligned(tex) {
    const parts = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < tex.length; i++) {
      if (tex[i] === '{') depth++;
      else if (tex[i] === '}') depth--;
      else if (depth === 0 && tex.startsWith(' = ', i)) {
        parts.push(tex.slice(start, i));
        start = i + 3;
      }
    }
    parts.push(tex.slice(start));
    if (parts.length < 3 || tex.length < 60) return tex;
    return '\\begin{aligned}' + parts[0] + ' &= ' + parts.slice(1).join(' \\\\ &= ') +
      '\\end{aligned}';
  }

  function math(tex, el, display) {
    el.dataset.tex = tex;
    if (window.katex) {
      window.katex.render(display ? aligned(tex) : tex, el,
        { throwOnError: false, displayMode: display });
    } else {
      el.textContent = tex;
      el.classList.add('tex-source');
    }
  }

  // One element per entry, with its index: a matrix as rows and columns,
  // any other shape as a list of indices.
  function elementTable(shape, value) {
    const table = document.createElement('table');
    table.className = 'elements';
    const flat = [];
    const walk = (v, idx) => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, idx.concat([i])));
      else flat.push([idx, v]);
    };
    walk(value, []);
    const fmt = (v) => (v === null ? 'NaN' : String(Number(v.toPrecision(6))));
    if (shape.length === 2) {
      const head = table.insertRow();
      head.insertCell().textContent = '';
      for (let c = 0; c < shape[1]; c++) head.insertCell().textContent = '[:,' + c + ']';
      for (let r = 0; r < shape[0]; r++) {
        const row = table.insertRow();
        row.insertCell().textContent = '[' + r + ',:]';
        for (let c = 0; c < shape[1]; c++) row.insertCell().textContent = fmt(value[r][c]);
      }
    } else {
      for (const [idx, v] of flat) {
        const row = table.insertRow();
        row.insertCell().textContent = '[' + idx.join(',') + ']';
        row.insertCell().textContent = fmt(v);
      }
    }
    return table;
  }

  function expandable(brief, shape, value) {
    if (shape.length === 0) {
      const span = document.createElement('span');
      span.textContent = brief;
      return span;
    }
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = brief;
    details.append(summary, elementTable(shape, value));
    return details;
  }

  // The tape: every tensor with its value and (as the sweep goes) gradient.
  const rows = new Map();
  const table = document.getElementById('tape-table');
  const head = table.createTHead().insertRow();
  for (const h of ['name', 'computes', 'shape', 'value', 'gradient']) {
    const th = document.createElement('th');
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  for (const t of data.tensors) {
    const row = body.insertRow();
    row.id = 'row-' + t.id;
    row.dataset.kind = t.kind;
    row.insertCell().textContent = t.label;
    const f = row.insertCell();
    if (t.formula) math(t.formula, f, false);
    else f.textContent = t.kind === 'node' ? '' : t.kind;
    row.insertCell().textContent = t.shape.length ? t.shape.join('x') : 'scalar';
    row.insertCell().append(expandable(t.brief, t.shape, t.value));
    row.insertCell().className = 'grad';
    rows.set(t.id, row);
  }

  // The graph's nodes (Graphviz keeps the ids the DOT gave them) and edges.
  const svgNodes = new Map();
  document.querySelectorAll('#graph g.node').forEach((g) => svgNodes.set(g.id, g));
  const edges = [...document.querySelectorAll('#graph g.edge')].map((g) => {
    const [from, to] = g.querySelector('title').textContent.split('->');
    return { g, from, to };
  });
  svgNodes.forEach((g, id) => {
    g.addEventListener('click', () => {
      const details = rows.get(id) && rows.get(id).querySelector('details');
      if (details) details.open = true;
      if (rows.get(id)) rows.get(id).scrollIntoView({ block: 'nearest' });
    });
  });

  // The gradients set by steps 0..i: the latest of each tensor.
  function gradientsAt(i) {
    const grads = new Map();
    for (let s = 0; s <= i; s++)
      for (const item of data.steps[s].items) if (item.grad) grads.set(item.grad, item);
    return grads;
  }

  function computedAt(id, i) {
    return !forwardAt.has(id) || forwardAt.get(id) <= i;
  }

  function show(i) {
    cursor = Math.max(0, Math.min(data.steps.length - 1, i));
    const step = data.steps[cursor];
    const grads = gradientsAt(cursor);
    const nForward = data.steps.filter((s) => s.phase === 'forward').length;
    const index = step.phase === 'forward' ? cursor + 1 : cursor - nForward + 1;
    const count = step.phase === 'forward' ? nForward : data.steps.length - nForward;
    const info = document.getElementById('step-info');
    const label = byId.has(step.node) ? byId.get(step.node).label : step.node;
    info.textContent = (step.phase === 'forward' ? 'forward pass ' : 'reverse sweep ') +
      index + '/' + count + ': ' + label;
    info.dataset.node = label;
    info.dataset.phase = step.phase;
    document.body.dataset.phase = step.phase;

    svgNodes.forEach((g, id) => {
      const texts = g.querySelectorAll('text');
      const computed = computedAt(id, cursor);
      const grad = grads.get(id);
      g.classList.toggle('current', id === step.node);
      g.classList.toggle('computed', computed);
      g.classList.toggle('has-grad', !!grad);
      if (texts[1]) texts[1].classList.add('value');
      if (texts[1]) texts[1].style.visibility = computed ? 'visible' : 'hidden';
      if (texts[2]) {
        texts[2].classList.add('gradient');
        texts[2].textContent = grad ? 'grad ' + grad.brief : '';
      }
    });
    for (const e of edges) e.g.classList.toggle('active', e.to === step.node);
    if (svgNodes.has(step.node))
      svgNodes.get(step.node).scrollIntoView({ block: 'nearest', inline: 'nearest' });
    rows.forEach((row, id) => {
      row.classList.toggle('current', id === step.node);
      row.classList.toggle('pending', !computedAt(id, cursor));
      const cell = row.querySelector('td.grad');
      const grad = grads.get(id);
      const shown = cell.dataset.brief || '';
      if ((grad ? grad.brief : '') !== shown) {
        cell.replaceChildren();
        if (grad) cell.append(expandable(grad.brief, byId.get(id).shape, grad.value));
        cell.dataset.brief = grad ? grad.brief : '';
      }
    });
    math(step.title, document.getElementById('eq-title'), false);
    const list = document.getElementById('eq-list');
    list.replaceChildren();
    for (const item of step.items) {
      if (!item.tex) continue;
      const div = document.createElement('div');
      div.className = 'equation';
      math(item.tex, div, true);
      list.append(div);
    }
    document.getElementById('prev').disabled = cursor === 0;
    document.getElementById('next').disabled = cursor === data.steps.length - 1;
  }

  document.getElementById('first').onclick = () => show(0);
  document.getElementById('prev').onclick = () => show(cursor - 1);
  document.getElementById('next').onclick = () => show(cursor + 1);
  document.getElementById('last').onclick = () => show(data.steps.length - 1);
  document.addEventListener('keydown', (ev) => {
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (ev.key in moves) show(cursor + moves[ev.key]);
    else if (ev.key === 'Home') show(0);
    else if (ev.key === 'End') show(data.steps.length - 1);
    else return;
    ev.preventDefault();
  });
  show(0);
})();
