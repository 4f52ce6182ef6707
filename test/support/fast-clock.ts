/**
 * A wall clock that runs fast, for a whole process: `node --import <dist>/test/support/fast-clock.js`
 * with GRIDPULSE_FAST_CLOCK="<anchor ms>,<speed>" makes Date.now() and new Date() read
 * anchor + (real now − anchor) × speed. Processes given the same value agree on the time (the demo's
 * pipeline and its simulator child both inherit NODE_OPTIONS). Timers and performance.now() keep
 * real time: only what the code reads as the time of day runs fast.
 */
const spec = process.env.GRIDPULSE_FAST_CLOCK;
if (spec) {
  const [anchor, speed] = spec.split(',').map(Number) as [number, number];
  if (!Number.isFinite(anchor) || !(speed > 0)) throw new Error(`GRIDPULSE_FAST_CLOCK: expected "<anchor ms>,<speed>", got ${spec}`);
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const fastNow = () => Math.round(anchor + (realNow() - anchor) * speed);
  class FastDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(fastNow());
      else if (args.length === 1) super(args[0] as string | number | Date);
      else super(...(args as [number, number, number?, number?, number?, number?, number?]));
    }
    static override now(): number {
      return fastNow();
    }
  }
  globalThis.Date = FastDate as DateConstructor;
}
export {};
