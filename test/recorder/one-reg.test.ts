/**
 * The `one_reg` event kind (traces/kinds/one-reg.ts): KVM_GET_ONE_REG /
 * KVM_SET_ONE_REG on a vcpu fd. Its scenario op's refusals (each names the
 * step and the field), a recording replayed bit for bit and a planted wrong
 * result found at its event, and its dump line with the register's name.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseScenario, ScenarioError } from '../../recorder/scenario.js';
import { recordToFile } from '../../recorder/trace-file.js';
import { describeEvent, eventToJson } from '../../replay/decode.js';
import { replay } from '../../replay/engine.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import type { TraceEvent } from '../../traces/events.js';
import { runScenario } from '../helpers.js';
import { tempDir } from '../tmp.js';

const dir = tempDir();
const ICP = 'KVM_REG_PPC_ICP_STATE';
type Raw = Record<string, unknown>;
const xics = (...steps: Raw[]) => ({
  arch: 'ppc64',
  steps: [{ op: 'create_vcpu', id: 0 }, { op: 'create_device', type: 'KVM_DEV_TYPE_XICS', as: 'xics' }, { op: 'enable_cap', vcpu: 0, cap: 'KVM_CAP_IRQ_XICS', args: ['xics', 0] }, ...steps],
});

function parseError(doc: unknown): string {
  try {
    parseScenario(JSON.stringify(doc), 't.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('parsed, but an error was expected');
}

test('one_reg refuses a bad step, naming the step and the field', () => {
  const step = (s: Raw) => parseError(xics({ op: 'one_reg', vcpu: 0, ...s }));
  expect(step({ dir: 'read', reg: ICP })).toMatch(/step 3: field "dir": must be "get" or "set"/);
  expect(step({ dir: 'get', reg: 'KVM_REG_PPC_TB_OFFSET' })).toMatch(/field "reg": unknown name "KVM_REG_PPC_TB_OFFSET": not a one-reg register .*\(KVM_REG_PPC_ICP_STATE\)/);
  // 0x1020...: KVM_REG_SIZE_U32. devrr carries 64-bit registers only.
  expect(step({ dir: 'get', reg: '0x102000000000008c' })).toMatch(/field "reg": is a 4-byte register .*64-bit registers only/);
  expect(step({ dir: 'get', reg: '0x1040000000000001' })).toMatch(/field "reg": is a 16-byte register/);
  expect(step({ dir: 'set', reg: ICP })).toMatch(/field "value": missing: a set needs the value written/);
  expect(step({ dir: 'get', reg: ICP, value: 1 })).toMatch(/field "value": only a set takes a value/);
  expect(step({ dir: 'set', reg: ICP, value: 1, save_as: 'X' })).toMatch(/field "save_as": only a get returns a value/);
  expect(step({ dir: 'get', reg: '-1' })).toMatch(/field "reg": must be a register name or a 64-bit id/);
  expect(step({ dir: 'get', reg: ICP, size: 8 })).toMatch(/field "size": unknown field for op one_reg/);
  // The XICS's register is ppc64's: another arch's VM does not know the name.
  expect(parseError({ arch: 'x86_64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'one_reg', vcpu: 0, dir: 'get', reg: ICP }] })).toMatch(/unknown name "KVM_REG_PPC_ICP_STATE".*declares none/);
});

test('one_reg records the kernel\'s answers; save_as and $NAME carry a value from a get to a set', () => {
  const r = runScenario(
    xics(
      { op: 'one_reg', vcpu: 0, dir: 'get', reg: ICP, expect_value: '0xffff0000', save_as: 'ICP' },
      { op: 'one_reg', vcpu: 0, dir: 'set', reg: ICP, value: '0xff000000ffff0000' },
      { op: 'one_reg', vcpu: 0, dir: 'set', reg: ICP, value: '$ICP' },
      { op: 'one_reg', vcpu: 0, dir: 'get', reg: '0x103000000000008c', expect_value: '0xffff0000' },
      { op: 'one_reg', vcpu: 1, dir: 'get', reg: ICP, expect: 'EBADF' },
    ),
  );
  expect(r.misses).toEqual([]);
  expect(r.events.slice(-3, -2)).toEqual([{ kind: 'one_reg', vm: 0, vcpu: 0, write: true, id: 0x1030_0000_0000_008cn, value: 0xffff0000n, errno: 0 }]);
});

test('a one_reg recording replays bit for bit, a planted wrong value is found at its event, and dump names the register', () => {
  const doc = xics(
    { op: 'one_reg', vcpu: 0, dir: 'set', reg: ICP, value: '0xff000000ffff0000' },
    { op: 'one_reg', vcpu: 0, dir: 'get', reg: ICP, expect_value: '0xff000000ffff0000' },
    { op: 'one_reg', vcpu: 0, dir: 'set', reg: ICP, value: '0xff000000ff050000', expect: 'EINVAL' },
  );
  const src = join(dir, 'one-reg.devrr');
  expect(recordToFile(parseScenario(JSON.stringify(doc), 't.json'), src, 2).misses).toEqual([]);
  const t = TraceReader.open(src);
  expect(replay(t).divergence).toBeNull();
  const tl = new Timeline(t);
  tl.seek(5);
  expect(describeEvent(tl.event(5), tl.point())).toBe('one_reg vcpu 0 get KVM_REG_PPC_ICP_STATE -> 0xff000000ffff0000 [CPPR 0xff XISR none MFRR 0xff pending priority 0xff]');
  tl.seek(6);
  expect(describeEvent(tl.event(6), tl.point())).toBe('one_reg vcpu 0 set KVM_REG_PPC_ICP_STATE <- 0xff000000ff050000 [CPPR 0xff XISR none MFRR 0xff pending priority 0x5] -> EINVAL');
  expect(eventToJson(tl.event(6), 6, tl.point())).toMatchObject({ reg_name: ICP, errno_name: 'EINVAL' });
  // Without a state, the id as a number.
  expect(describeEvent(tl.event(5))).toBe('one_reg vcpu 0 get reg 0x103000000000008c -> 0xff000000ffff0000');

  // Claim the get read CPPR 5: replay finds the divergence at that event.
  const bad = join(dir, 'one-reg-bad.devrr');
  const w = TraceWriter.create(bad, t.header);
  for (const ev of t.events()) {
    const { i, ...plain } = ev;
    w.append((i === 5 ? { ...plain, value: 0x0500_0000_ffff_0000n } : plain) as TraceEvent);
  }
  w.close();
  t.close();
  const b = TraceReader.open(bad);
  const r = replay(b);
  expect(r.divergence?.event).toBe(5);
  expect(r.divergence?.reason).toBe('result');
  b.close();
});
