import { describe, expect, it } from 'vitest'
import { escapeGroupName, renderGroups } from '../src/index.ts'

describe('cpgtool text layout', () => {
  it('escapes control characters and backslashes in group names', () => {
    expect(escapeGroupName('dlm:ls\u0000')).toBe('dlm:ls\\x00')
    expect(escapeGroupName('a\\b\nc')).toBe('a\\x5cb\\x0ac')
    expect(escapeGroupName('grüße')).toBe('grüße')
  })

  it('prints the group, then one line per member with its addresses', () => {
    expect(
      renderGroups([
        {
          group: 'g',
          members: [
            { nodeId: 1, pid: 7, addresses: ['10.0.0.1', '10.1.0.1'] },
            { nodeId: 4294967295, pid: 4294967295, addresses: [] },
          ],
        },
      ]),
    ).toBe(
      'Group Name             PID         Node ID\n' +
        'g\n' +
        '                         7               1 (10.0.0.1, 10.1.0.1)\n' +
        '                4294967295      4294967295\n',
    )
  })
})
