import { h } from '../dom.js';
import { t } from '../i18n.js';

export function renderSignIn(root: HTMLElement, submit: (token: string) => Promise<void>, message?: string): void {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', placeholder: t('signin.tokenHint'), 'aria-label': t('signin.token') });
  const form = h('form', { class: 'signin card', onsubmit: (e) => {
    e.preventDefault();
    void submit(input.value.trim());
  } },
  h('h1', {}, t('app.title')),
  h('label', {}, t('signin.token'), input),
  message ? h('p', { class: 'error', role: 'alert' }, message) : null,
  h('button', { type: 'submit', class: 'primary' }, t('signin.submit')));
  root.append(form);
  input.focus();
}
