/** Mounts a component with Pinia (real store actions), English strings and a fake host. */
import { createTestingPinia } from '@pinia/testing';
import { mount, type ComponentMountingOptions } from '@vue/test-utils';
import { vi } from 'vitest';
import type { Component } from 'vue';
import { setHost } from '../client/host';
import { createFerryI18n, type Locale } from '../i18n';
import { fakeHost, type FakeHost } from './fake-host';

export function mountWith<C extends Component>(
  component: C,
  options: ComponentMountingOptions<C> & {
    host?: FakeHost;
    initialState?: Record<string, unknown>;
    locale?: Locale;
  } = {},
) {
  const host = options.host ?? fakeHost();
  setHost(host);
  const pinia = createTestingPinia({ createSpy: vi.fn, stubActions: false, initialState: options.initialState });
  const i18n = createFerryI18n(options.locale ?? 'en');
  const wrapper = mount(component, {
    ...options,
    attachTo: document.body,
    global: { plugins: [pinia, i18n], ...(options.global ?? {}) },
  } as ComponentMountingOptions<C>);
  return { wrapper, host, pinia, i18n };
}
