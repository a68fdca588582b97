// Quantities as the merchant's locale writes them (the browser's language, as Intl sees it).
// The rule (README "Quantities"): the locale's decimal separator marks decimals; its grouping
// separator is accepted only in whole groups of three ("1,500" in English is 1500, "1.500" in German
// too). A "." or "," that cannot be read one way only is refused with a message — never guessed.
// The API itself only takes JSON numbers.

export const LOCALE = navigator.language || "en-US";

function separators(locale) {
  const parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
  return {
    group: (parts.find((part) => part.type === "group") || { value: "," }).value,
    decimal: (parts.find((part) => part.type === "decimal") || { value: "." }).value,
  };
}

const SEP = separators(LOCALE);
const SPACES = /[\s\u00a0\u202f]/g; // French and others group with (narrow) no-break spaces
const inputFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 3, useGrouping: false });

/** A stored quantity written for an input in the merchant's locale ("2,5" in German). */
export const formatForInput = (value) => (value === null || value === undefined || value === "" ? "" : inputFormat.format(value));

function canonical(whole, fraction) {
  const digits = whole.replace(/^0+(?=\d)/, "");
  const decimals = fraction.replace(/0+$/, "");
  return decimals ? `${digits}.${decimals}` : digits;
}

const example = (text) => text.replace(".", SEP.decimal);

/**
 * Read a typed quantity: {value: "1500.25"} (a plain decimal string for the JSON body) or {error}.
 * `wholeOnly`: the row is counted in pieces, so a fraction is refused with a message.
 */
export function parseQuantity(text, { wholeOnly = false } = {}) {
  const raw = String(text ?? "").trim().replace(SPACES, " ");
  const like = `like ${example("12")} or ${example("2.5")}`;
  if (!raw) return { error: `Enter a quantity, ${like} (0 if none).` };
  if (!/^[0-9., ]+$/.test(raw)) return { error: `Enter the quantity as a number, ${like}.` };
  const group = /^[\s\u00a0\u202f]$/.test(SEP.group) ? " " : SEP.group;
  const parts = raw.split(SEP.decimal);
  if (parts.length > 2) return { error: `“${raw}” has more than one decimal separator (${SEP.decimal}).` };
  const [whole, fraction = ""] = parts;
  const groups = whole.split(group);
  const wellGrouped = /^[0-9]{1,3}$/.test(groups[0]) && groups.slice(1).every((g) => /^[0-9]{3}$/.test(g));
  if (!/^[0-9]*$/.test(fraction) || (groups.length > 1 && !wellGrouped) || !groups.every((g) => /^[0-9]*$/.test(g))) {
    return { error: `“${raw}” could be read more than one way. Here decimals are written with “${SEP.decimal}”: `
      + `write ${example("1.5")} for one and a half, or ${example("1500")} without separators.` };
  }
  if (!groups.join("") && !fraction) return { error: `Enter the quantity as a number, ${like}.` };
  if (fraction.length > 3) return { error: "Use at most 3 decimal places." };
  const value = canonical(groups.join("") || "0", fraction);
  if (wholeOnly && value.includes(".")) {
    return { error: "Pieces (pcs) are counted in whole numbers. Enter a whole number, or choose a measured unit such as kg." };
  }
  return { value };
}
