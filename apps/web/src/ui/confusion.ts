// The confusion matrix as a table, rows true digits, columns predicted, shaded by share of the row.
export function showConfusion(table: HTMLTableElement, confusion: number[][]): void {
  const head = `<tr><th>true \\ pred</th>${confusion.map((_, p) => `<th>${p}</th>`).join('')}</tr>`
  const rows = confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1
    const cells = row.map((n, p) => {
      const share = n / total
      const color = p === t ? `rgb(27 99 214 / ${share})` : `rgb(214 69 27 / ${Math.min(1, share * 4)})`
      return `<td style="background:${color};color:${share > 0.5 ? '#fff' : '#222'}">${n}</td>`
    })
    return `<tr><th>${t}</th>${cells.join('')}</tr>`
  })
  table.innerHTML = head + rows.join('')
}
