import type { EventName, FerryEvents } from '../../shared/api';

/** How engine parts push contract events without knowing who listens. */
export type EventSink = <K extends EventName>(name: K, payload: FerryEvents[K]) => void;
