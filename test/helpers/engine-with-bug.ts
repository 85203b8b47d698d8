/**
 * The real engine, except that one request throws what `thrown` returns. No real
 * engine bug exists to trigger, so the hosts' "engine bug → INTERNAL, logged once"
 * path is driven through this; every other request reaches the real engine.
 */
import type { FerryApi } from '../../shared/api';

export function engineWithBug<E extends FerryApi>(engine: E, name: keyof FerryApi, thrown: () => unknown): E {
  return new Proxy(engine, {
    get(target, key) {
      if (key === name)
        return async () => {
          throw thrown();
        };
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
