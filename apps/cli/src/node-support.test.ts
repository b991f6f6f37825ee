import { describe, expect, it } from 'vitest'
import { endOfLifeNote, nodeSupport } from './node-support'

const day = (iso: string): Date => new Date(`${iso}T12:00:00Z`)

describe('nodeSupport', () => {
  it('Node 20 is past its end of life from 2026-04-30, not before', () => {
    expect(nodeSupport('20.20.2', day('2026-04-29'))).toEqual({
      version: '20.20.2',
      major: 20,
      endOfLife: '2026-04-30',
      pastEndOfLife: false,
      tested: true,
    })
    expect(nodeSupport('v20.20.2', day('2026-04-30')).pastEndOfLife).toBe(true)
  })

  it('current lines are supported, odd and old lines are not tested', () => {
    expect(nodeSupport('24.22.3', day('2026-12-07'))).toMatchObject({ major: 24, pastEndOfLife: false, tested: true })
    expect(nodeSupport('26.12.1', day('2026-12-07'))).toMatchObject({ endOfLife: '2029-04-30', pastEndOfLife: false })
    expect(nodeSupport('25.1.0', day('2026-12-07'))).toMatchObject({ pastEndOfLife: true, tested: false })
    expect(nodeSupport('18.20.0', day('2026-12-07'))).toMatchObject({ pastEndOfLife: true, tested: false })
  })

  it('a line older than the table is past its end of life; a newer one is unknown, not flagged', () => {
    expect(nodeSupport('12.22.0', day('2026-12-07'))).toMatchObject({ endOfLife: null, pastEndOfLife: true })
    expect(nodeSupport('28.0.0', day('2026-12-07'))).toMatchObject({ endOfLife: null, pastEndOfLife: false })
  })
})

describe('endOfLifeNote', () => {
  it('names the date and the tested lines still supported that day', () => {
    expect(endOfLifeNote(nodeSupport('20.20.2', day('2026-12-07')), day('2026-12-07'))).toBe(
      'note: Node 20 reached its end of life on 2026-04-30 (no more security fixes); use Node 22, 24 or 26',
    )
    expect(endOfLifeNote(nodeSupport('22.1.0', day('2027-06-01')), day('2027-06-01'))).toBe(
      'note: Node 22 reached its end of life on 2027-04-30 (no more security fixes); use Node 24 or 26',
    )
  })

  it('says nothing for a supported line', () => {
    expect(endOfLifeNote(nodeSupport('24.22.3', day('2026-12-07')), day('2026-12-07'))).toBeNull()
  })
})
