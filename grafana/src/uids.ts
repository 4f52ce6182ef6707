/** Dashboard uids: links between dashboards use them, so keep them when renaming a dashboard. */
export const UID = {
  city: 'gridpulse-city',
  county: 'gridpulse-county',
  chain: 'gridpulse-chain',
  enterprise: 'gridpulse-enterprise',
  health: 'gridpulse-pipeline-health',
} as const;
