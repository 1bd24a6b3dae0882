// Small line charts in SVG, drawn here: a chart library would be a download at run time or a package to vet for a few lines.
const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#1f6feb', '#d9480f', '#2e7d32', '#8250df'];

/**
 * Draws series (each {name, values: number|null[]}) over the same x positions into figure, as a polyline each, with the
 * highest value on the axis. The figure's caption and an aria-label on the svg say the latest values for screen readers.
 */
export function lineChart(figure, title, series, { format = v => String(v), max = null } = {}) {
  const width = 300, height = 120, pad = 4;
  const all = series.flatMap(s => s.values).filter(v => v !== null && v !== undefined && !Number.isNaN(v));
  const top = max ?? Math.max(1, ...all);
  const count = Math.max(2, ...series.map(s => s.values.length));
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const latest = series.map(s => `${s.name} ${format(lastValue(s.values))}`).join(', ');
  svg.setAttribute('aria-label', `${title}: latest ${latest}; highest shown ${format(top)}`);
  for (const fraction of [0.25, 0.5, 0.75]) {
    const grid = document.createElementNS(NS, 'line');
    const y = pad + (height - 2 * pad) * fraction;
    grid.setAttribute('x1', '0'); grid.setAttribute('x2', String(width)); grid.setAttribute('y1', String(y)); grid.setAttribute('y2', String(y));
    grid.setAttribute('stroke', 'currentColor'); grid.setAttribute('stroke-opacity', '0.12');
    svg.append(grid);
  }
  series.forEach((s, index) => {
    const points = [];
    s.values.forEach((v, i) => {
      if (v === null || v === undefined || Number.isNaN(v)) return;
      const x = (width * i) / (count - 1);
      const y = height - pad - ((height - 2 * pad) * Math.min(v, top)) / top;
      points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    });
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', COLORS[index % COLORS.length]);
    line.setAttribute('stroke-width', '2');
    line.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(line);
  });
  const caption = document.createElement('figcaption');
  caption.textContent = `${title} (highest ${format(top)})`;
  const legend = document.createElement('div');
  legend.className = 'legend';
  series.forEach((s, index) => {
    const item = document.createElement('span');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = COLORS[index % COLORS.length];
    item.append(swatch, `${s.name}: ${format(lastValue(s.values))}`);
    legend.append(item);
  });
  figure.replaceChildren(caption, svg, legend);
}

function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i];
  return null;
}
