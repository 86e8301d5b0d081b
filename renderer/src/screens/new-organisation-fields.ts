import { msg } from '@lit/localize';
import { html, type TemplateResult } from 'lit';
import type SlCheckbox from '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import '../components/passphrase-meter.ts';
import { PASSPHRASE_MIN_CHARS } from './passphrase-rules.ts';

/** What a form that sets up this organisation (creating or joining a consortium) asks for; its fields write back here. */
export interface NewOrganisationForm {
  organisation: string;
  registryId: string;
  passphrase: string;
  confirmation: string;
  remember: boolean;
}

/** The organisation's name and its optional company registry id; test ids are `<prefix>-org` and `<prefix>-registry`. */
export function organisationFields(testIdPrefix: string, form: NewOrganisationForm): TemplateResult {
  return html`
    <sl-input
      data-testid=${`${testIdPrefix}-org`}
      label=${msg('Organisation name', { id: 'firstRun.organisation' })}
      required
      .value=${form.organisation}
      @sl-input=${(event: Event) => (form.organisation = (event.target as SlInput).value)}
    ></sl-input>
    <sl-input
      data-testid=${`${testIdPrefix}-registry`}
      label=${msg('Company registry id', { id: 'firstRun.registryId' })}
      help-text=${msg('Optional: the number under which your company is registered.', { id: 'firstRun.registryHelp' })}
      .value=${form.registryId}
      @sl-input=${(event: Event) => (form.registryId = (event.target as SlInput).value)}
    ></sl-input>
  `;
}

/**
 * The passphrase for the organisation's new keys, its strength, its repetition and, where the
 * computer can keep it, the choice to remember it; test ids are `<prefix>-passphrase`,
 * `<prefix>-passphrase-confirm` and `<prefix>-remember`.
 */
export function newPassphraseFields(testIdPrefix: string, form: NewOrganisationForm, canRemember: boolean): TemplateResult {
  const mismatch = form.confirmation !== '' && form.confirmation !== form.passphrase;
  return html`
    <sl-input
      data-testid=${`${testIdPrefix}-passphrase`}
      type="password"
      password-toggle
      required
      autocomplete="new-password"
      label=${msg('Passphrase', { id: 'firstRun.passphrase' })}
      help-text=${msg('Encrypts your organisation keys. It cannot be recovered: keep it safe.', { id: 'firstRun.passphraseHelp' })}
      .value=${form.passphrase}
      @sl-input=${(event: Event) => (form.passphrase = (event.target as SlInput).value)}
    ></sl-input>
    <ingot-passphrase-meter .passphrase=${form.passphrase}></ingot-passphrase-meter>
    <sl-input
      data-testid=${`${testIdPrefix}-passphrase-confirm`}
      type="password"
      required
      autocomplete="new-password"
      label=${msg('Repeat the passphrase', { id: 'firstRun.confirm' })}
      help-text=${mismatch ? msg('The two passphrases differ.', { id: 'firstRun.mismatch' }) : ''}
      .value=${form.confirmation}
      @sl-input=${(event: Event) => (form.confirmation = (event.target as SlInput).value)}
    ></sl-input>
    ${canRemember
      ? html`<sl-checkbox data-testid=${`${testIdPrefix}-remember`} ?checked=${form.remember} @sl-change=${(event: Event) => (form.remember = (event.target as SlCheckbox).checked)}>
          ${msg('Remember the passphrase on this computer', { id: 'passphrase.remember' })}
        </sl-checkbox>`
      : ''}
  `;
}

/** Whether the form names the organisation and holds a long enough passphrase, typed the same twice. */
export function newOrganisationReady(form: NewOrganisationForm): boolean {
  return form.organisation.trim() !== '' && form.passphrase.length >= PASSPHRASE_MIN_CHARS && form.passphrase === form.confirmation;
}
