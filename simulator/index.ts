/**
 * The simulator's public surface: build a seeded city, simulate readings with labelled incidents.
 * Used by `gridpulse simulate` and by the analyzer's offline evaluation.
 */
export { buildCity, ctFor, type BuildCityOptions, type City, type CityProfiles, type SupplyGraph } from './city.js';
export { simulate, type SimBatch, type SimStats, type Simulation, type SimulateOptions } from './engine.js';
export {
  defaultScenario, quietScenario, loadScenario, parseInjectFlag, scenarioSchema, defaultCounts, BASE_COUNTS, INJECTABLE_KINDS,
  type Scenario, type ScenarioInput, type ExplicitIncident, type InjectableKind,
} from './scenario.js';
export { dayInfo, holidayBlocks, springFestivalDate, cstDate, type DayInfo, type DayMode } from './calendar.js';
export { PROFILE_KINDS, type ProfileKind } from './profiles.js';
export { springFestivalWindows } from './planner.js';
