import { BffClient, BffError, type ErrorCode } from "@cognito-bff/client";

/** The page's one client: same origin (the dev server's proxy, or the BFF serving the
 * built files), the session cookie sent by the browser, never a token in this code. */
export const bff = new BffClient();

const SAY: Partial<Record<ErrorCode, string>> = {
  code_mismatch: "That code is not right. Check it and try again.",
  expired_code: "That code has expired. Ask for a new one.",
  not_authorized: "Wrong email or password.",
  invalid_password: "The password does not meet the rules.",
  incorrect_password: "Your current password is not right.",
  step_up_failed: "Too many wrong current passwords: you are signed out. Sign in again.",
  username_exists: "An account with this email already exists.",
  too_many_requests: "Too many attempts.",
  sign_in_delayed: "Too many wrong passwords.",
  temporary_password_expired: "Your temporary password has expired.",
  session_expired: "Your session has ended. Sign in again.",
  not_signed_in: "You are signed out.",
  illegal_step: "This page was out of date (another tab moved on); it is up to date now.",
  cognito_unavailable: "The sign-in service is not reachable right now.",
};

/** A sentence for the user, from the error's stable code. */
export function describe(error: unknown): string {
  if (!(error instanceof BffError)) return "Something went wrong. Try again.";
  const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : "";
  const fields = Object.entries(error.fieldErrors)
    .map(([name, problems]) => `${name}: ${problems.join(" ")}`)
    .join("; ");
  return `${SAY[error.code] ?? error.message}${fields ? ` (${fields})` : ""}${wait}`;
}
