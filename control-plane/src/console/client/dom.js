// @ts-check
// A tiny element builder. Text is always inserted as text, never parsed as HTML, so nothing the
// API returns (host names, reasons, log lines) can inject markup.

/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {string | boolean | undefined | ((event: Event) => void)} AttrValue */

/**
 * @param {string} tag
 * @param {Record<string, AttrValue>} [attrs] `onclick`-style keys add listeners; `true` sets a bare attribute
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (typeof value === "string") element.setAttribute(name, value);
  }
  append(element, children);
  return element;
}

/**
 * @param {HTMLElement} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === "number" ? String(child) : child);
  }
}

/**
 * Replaces everything inside `parent`.
 * @param {HTMLElement} parent
 * @param {...(Child | Child[])} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}
