import { css } from 'lit';

/** Layout pieces every screen shares. */
export const screenStyles = css`
  :host {
    display: block;
  }
  h1 {
    font-size: var(--sl-font-size-x-large);
    margin: 0 0 var(--sl-spacing-large);
  }
  h2 {
    font-size: var(--sl-font-size-large);
    margin: var(--sl-spacing-large) 0 var(--sl-spacing-small);
  }
  h3 {
    font-size: var(--sl-font-size-medium);
    margin: var(--sl-spacing-medium) 0 var(--sl-spacing-x-small);
  }
  .card {
    background: var(--sl-panel-background-color);
    border: 1px solid var(--sl-panel-border-color);
    border-radius: var(--sl-border-radius-large);
    padding: var(--sl-spacing-large);
    margin-bottom: var(--sl-spacing-large);
  }
  dl.fields {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: var(--sl-spacing-x-small) var(--sl-spacing-large);
    margin: 0;
  }
  dl.fields dt {
    color: var(--sl-color-neutral-600);
  }
  dl.fields dd {
    margin: 0;
    display: flex;
    align-items: center;
    gap: var(--sl-spacing-x-small);
    min-width: 0;
  }
  .mono {
    font-family: var(--sl-font-mono);
    font-size: var(--sl-font-size-small);
    overflow-wrap: anywhere;
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: left;
    padding: var(--sl-spacing-x-small) var(--sl-spacing-small);
    border-bottom: 1px solid var(--sl-panel-border-color);
  }
  th {
    font-weight: var(--sl-font-weight-semibold);
    color: var(--sl-color-neutral-600);
  }
  a {
    color: var(--sl-color-primary-600);
  }
  a:focus-visible,
  tr:focus-visible {
    outline: var(--sl-focus-ring);
    outline-offset: 2px;
  }
  .row {
    display: flex;
    gap: var(--sl-spacing-small);
    align-items: center;
    flex-wrap: wrap;
  }
  .muted {
    color: var(--sl-color-neutral-600);
  }
  .form {
    display: grid;
    gap: var(--sl-spacing-medium);
    max-width: 32rem;
  }
  pre {
    background: var(--sl-color-neutral-100);
    padding: var(--sl-spacing-medium);
    border-radius: var(--sl-border-radius-medium);
    overflow: auto;
    font-size: var(--sl-font-size-small);
  }
`;

/** A list screen's title with its actions beside it: `<div class="title-bar"><h1>…</h1>…</div>`. */
export const titleBarStyles = css`
  .title-bar {
    display: flex;
    justify-content: space-between;
    align-items: center;
    gap: var(--sl-spacing-medium);
    flex-wrap: wrap;
    margin-bottom: var(--sl-spacing-large);
  }
  .title-bar h1 {
    margin: 0;
  }
`;
