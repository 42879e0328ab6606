// Numbers and times as the console shows them (UTC throughout: the API's days are UTC days).

export function day(iso: string): string {
  return iso.slice(0, 10);
}

export function time(iso: string): string {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  return `${moment.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function percent(rate: number): string {
  const value = rate * 100;
  // Enough digits to tell 0.1% from 0.12%: the complaint threshold is that small.
  return `${value.toLocaleString("en", { maximumFractionDigits: value < 1 ? 2 : 1 })}%`;
}

export function count(value: number): string {
  return value.toLocaleString("en");
}

/** "ABC_DEF" as "Abc def", for enum values shown to people. */
export function words(value: string): string {
  const spaced = value.toLowerCase().replace(/_/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
