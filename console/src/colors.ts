export const COLORS = { actual: '#c23531', expected: '#2f4554', missing: 'rgba(194,53,49,0.18)', good: '#3a8f5c', bad: '#c23531' };
