// The simulator's door: import from here.
export { startSimulator, type Simulator, type SimulatorOptions } from './server.js';
export type { RecordedRequest } from './common.js';
export { headerStyleFor, type Dialect, type Flavor, type KeyBehaviour } from './behaviour.js';
export { QuotaModel, goDuration, rfc3339, type QuotaSpec, type QuotaKind, type AdmitResult, type HeaderStyle } from './quota-model.js';
export { parseSse, type SseEvent } from './sse.js';
