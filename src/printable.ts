/**
 * Text printed into a table at the terminal or stored as an identifier: printable characters (no line breaks, tabs
 * or escape sequences) and no blank at either end, so it is never blank either.
 */
export const PRINTABLE = /^[^\s\p{C}](?:[^\p{C}]*[^\s\p{C}])?$/u;
