// The report page's own script, inlined after Apache ECharts: draws the charts the page's JSON describes (built in
// src/report/charts.ts), lazily, for the commodity the selector shows; keeps them sized to the page and to print.
(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const MINUS = '\u2212';

  function group(text) {
    const parts = text.split('.');
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return parts.join('.');
  }
  function decimalsFor(abs) {
    if (abs === 0 || abs >= 100) return 0;
    if (abs >= 10) return 1;
    if (abs >= 1) return 2;
    return Math.min(6, 2 - Math.floor(Math.log10(abs)));
  }
  function formatNumber(x) {
    if (x === null || x === undefined || x === '' || x === '-') return '–';
    const v = Number(x);
    if (!Number.isFinite(v)) return String(x);
    const text = group(Math.abs(v).toFixed(decimalsFor(Math.abs(v))));
    return v < 0 && !/^[0.,]+$/.test(text) ? MINUS + text : text;
  }
  function formatCompact(x) {
    if (x === null || x === undefined || x === '' || x === '-') return '–';
    const v = Number(x);
    const abs = Math.abs(v);
    const sign = v < 0 ? MINUS : '';
    const three = (y) => group(y.toFixed(y >= 100 ? 0 : y >= 10 ? 1 : 2));
    if (abs >= 1e9) return `${sign}${three(abs / 1e9)} bn`;
    if (abs >= 1e6) return `${sign}${three(abs / 1e6)} M`;
    return formatNumber(v);
  }
  // Shares (0–1) read as percentages, as the tables print them.
  function formatPercent(x) {
    if (x === null || x === undefined || x === '' || x === '-') return '–';
    const v = Number(x);
    if (!Number.isFinite(v)) return String(x);
    return `${formatNumber(v * 100)}%`;
  }
  // Axis ticks are round numbers: no trailing zeros ('40 M', '1.5', not '40.0 M', '1.50').
  function trimZeros(text) {
    return text.replace(/(\.\d*?)0+(?=\D*$)/, '$1').replace(/\.(?=\D*$)/, '');
  }
  function escapeHtml(text) {
    return String(text).replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
    );
  }

  function costCurveTooltip(spec) {
    return (params) => {
      const list = Array.isArray(params) ? params : [params];
      const x = Number(list[0]?.axisValue);
      const step = spec.steps.find((s) => x >= s.from && x < s.to);
      if (!step) return `${formatNumber(x)} ${escapeHtml(spec.unit)}`;
      const who = step.dominant ? ' · dominant supplier' : step.member ? ' · member' : '';
      const cost = step.kind === 'project' ? 'incentive price' : 'cash cost';
      return (
        `<b>${escapeHtml(step.id)}</b> · ${escapeHtml(step.region)}${who}${step.kind === 'project' ? ' · project' : ''}<br>` +
        `capacity ${formatNumber(step.capacity)} ${escapeHtml(spec.unit)} per year<br>` +
        `${cost} ${formatNumber(step.cost)} ${escapeHtml(spec.priceUnit)}<br>` +
        `cumulative ${formatNumber(step.from)} to ${formatNumber(step.to)}`
      );
    };
  }

  // A tooltip value with its unit, as the tables write it: 'USD 1.24 bn', '2,532 USD/t REO', '3.2%', '18 days'.
  function withUnit(format, unit) {
    if (!unit) return format;
    return (v) => {
      const text = format(v);
      if (text === '–') return text;
      if (unit === 'USD') return `USD ${text}`;
      return unit === '%' ? `${text}%` : `${text} ${unit}`;
    };
  }

  function withFormatters(spec) {
    const option = spec.option;
    const values = spec.tooltip === 'money' ? formatCompact : spec.tooltip === 'share' ? formatPercent : formatNumber;
    const axisLabel = (axis) => {
      if (axis && axis.type === 'value') {
        axis.axisLabel = Object.assign({}, axis.axisLabel, { formatter: (v) => trimZeros(values(v)) });
      }
    };
    for (const key of ['xAxis', 'yAxis']) {
      const axes = option[key];
      if (Array.isArray(axes)) axes.forEach(axisLabel);
      else axisLabel(axes);
    }
    option.tooltip = Object.assign({}, option.tooltip, { valueFormatter: withUnit(values, spec.valueUnit) });
    // A chart with two axes in two units (stocks and days of cover) names each series' unit; a series drawn with its
    // sign turned (a cost below zero) is given in the tooltip as it is.
    if (spec.seriesUnits || spec.seriesSigns) {
      [].concat(option.series || []).forEach((series, i) => {
        const unit = spec.seriesUnits?.[i] || spec.valueUnit;
        const sign = spec.seriesSigns?.[i] ?? 1;
        const signed = sign === 1 ? values : (v) => (typeof v === 'number' ? values(sign * v || 0) : values(v));
        series.tooltip = Object.assign({}, series.tooltip, { valueFormatter: withUnit(signed, unit) });
      });
    }
    if (spec.tooltip === 'costCurve') option.tooltip.formatter = costCurveTooltip(spec);
    return option;
  }

  // Room above the plot for the legend (as many rows as it wraps into at this width) and the axis names.
  const measure = document.createElement('canvas').getContext('2d');
  function legendTop(option, width) {
    const legend = [].concat(option.legend || [])[0];
    let rows = 0;
    if (legend && legend.show !== false) {
      const family = option.textStyle?.fontFamily || 'sans-serif';
      measure.font = `${legend.textStyle?.fontSize || 12}px ${family}`;
      const gap = legend.itemGap ?? 10;
      // The legend's own items where it lists them (an ensemble's band edges are series, not legend items).
      const items = Array.isArray(legend.data)
        ? legend.data.map((d) => (typeof d === 'string' ? d : d?.name))
        : [].concat(option.series || []).map((s) => s.name);
      const names = [];
      for (const name of items) if (name && !names.includes(name)) names.push(name);
      let x = 0;
      rows = names.length > 0 ? 1 : 0;
      for (const name of names) {
        const w = 25 + 5 + measure.measureText(name).width;
        if (x > 0 && x + w > width - 16) {
          rows += 1;
          x = 0;
        }
        x += w + gap;
      }
    }
    return rows * 25 + 30;
  }
  // A viewBox lets the SVG scale with its box (print, narrow windows) instead of being cut.
  function fitViewBox(el) {
    const svg = el.querySelector('svg');
    if (!svg) return;
    const w = Number.parseFloat(svg.getAttribute('width'));
    const h = Number.parseFloat(svg.getAttribute('height'));
    if (w > 0 && h > 0) svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  }

  const charts = new Map();
  function draw(el) {
    let chart = charts.get(el);
    if (!chart) {
      const spec = data.charts[el.dataset.chart];
      if (!spec) return;
      const option = withFormatters(spec);
      option.grid = Object.assign({}, option.grid, { top: legendTop(option, el.clientWidth) });
      chart = echarts.init(el, null, { renderer: 'svg' });
      chart.on('finished', () => fitViewBox(el));
      chart.setOption(option);
      charts.set(el, chart);
    } else {
      chart.setOption({ grid: { top: legendTop(chart.getOption(), el.clientWidth) } });
      chart.resize();
    }
    fitViewBox(el);
  }
  function drawWithin(root) {
    for (const el of root.querySelectorAll('.chart[data-chart]')) draw(el);
  }

  const select = document.getElementById('commodity-select');
  const articles = Array.from(document.querySelectorAll('article.commodity'));
  function show(value) {
    for (const a of articles) {
      a.hidden = !(
        value === '*all' || (value === '*focus' ? a.dataset.focus === 'true' : a.dataset.commodity === value)
      );
    }
    for (const a of articles) if (!a.hidden) drawWithin(a);
    document.body.dataset.showing = value;
  }
  function fromHash() {
    const m = /^#commodity=(.+)$/.exec(location.hash);
    if (!m) return null;
    const value = decodeURIComponent(m[1]);
    return Array.from(select.options).some((o) => o.value === value) ? value : null;
  }
  if (select) {
    const initial = fromHash();
    if (initial) select.value = initial;
    select.addEventListener('change', () => {
      show(select.value);
      history.replaceState(null, '', `#commodity=${encodeURIComponent(select.value)}`);
    });
    for (const link of document.querySelectorAll('[data-select]')) {
      link.addEventListener('click', (event) => {
        event.preventDefault();
        select.value = link.dataset.select;
        select.dispatchEvent(new Event('change'));
        document.getElementById('commodities').scrollIntoView();
      });
    }
    show(select.value);
  }
  drawWithin(document.getElementById('summary'));
  // Who gains and who pays: there only where the results carry a welfare split with a zone to chart.
  const welfare = document.getElementById('welfare');
  if (welfare) drawWithin(welfare);
  for (const section of document.querySelectorAll('section[data-extra]')) drawWithin(section);

  const printing = () => window.matchMedia?.('print').matches;
  function resizeAll() {
    if (printing()) return;
    for (const el of charts.keys()) if (el.offsetParent !== null) draw(el);
  }
  let pending = 0;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(resizeAll, 100);
  });
  // On paper every chart takes the full width of an A4 page (186 mm of content, less the figure's padding).
  const PRINT_WIDTH = 670;
  const PRINT_HEIGHT = 300;
  window.addEventListener('beforeprint', () => {
    for (const [el, chart] of charts) {
      if (el.offsetParent === null) continue;
      chart.setOption({ grid: { top: legendTop(chart.getOption(), PRINT_WIDTH) } });
      chart.resize({ width: PRINT_WIDTH, height: PRINT_HEIGHT });
      fitViewBox(el);
    }
  });
  window.addEventListener('afterprint', () => {
    for (const el of charts.keys()) if (el.offsetParent !== null) draw(el);
  });
  document.body.dataset.ready = 'true';
})();
