import { BffError, type Flow, type FlowIn } from "@cognito-bff/client";
import { useEffect, useState, type FormEvent, type ReactNode } from "react";

import { Account } from "./Account";
import { bff, describe } from "./bff";

type Step = () => Promise<Flow>;

/** The screen comes from the flow's `state`, its actions from `next_steps`, its content
 * from `data`: the SPA keeps no state of the sign-in of its own. */
export function App() {
  const [flow, setFlow] = useState<Flow | null | undefined>(undefined);
  const [error, setError] = useState<string>("");
  const [notice, setNotice] = useState<string>("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    bff.currentFlow().then(setFlow, (e) => setError(describe(e)));
  }, []);

  async function run(step: Step, done?: string) {
    setBusy(true);
    setError("");
    setNotice("");
    try {
      setFlow(await step());
      if (done) setNotice(done);
    } catch (e) {
      setError(describe(e));
      // Another tab moved the flow on, or the refused sign-in moved it to
      // TEMPORARY_PASSWORD_EXPIRED: show where it is now.
      if (e instanceof BffError && ["illegal_step", "temporary_password_expired"].includes(e.code)) {
        setFlow(await bff.currentFlow());
      }
    } finally {
      setBusy(false);
    }
  }

  async function signOut(everywhere = false) {
    setError("");
    try {
      const answer = everywhere ? await bff.signOutEverywhere() : await bff.signOut();
      setFlow(answer.flow ?? null);
      setNotice(everywhere ? "You are signed out everywhere." : "You are signed out.");
    } catch (e) {
      setError(describe(e));
    }
  }

  if (flow === undefined) return <p>Loading…</p>;
  return (
    <main>
      <h1>Account</h1>
      <p role="alert" className="error">{error}</p>
      <p role="status" className="notice">{notice}</p>
      <fieldset disabled={busy}>
        <Screen flow={flow} run={run} signOut={signOut} setFlow={setFlow} />
      </fieldset>
    </main>
  );
}

interface ScreenProps {
  flow: Flow | null;
  run: (step: Step, done?: string) => Promise<void>;
  signOut: (everywhere?: boolean) => Promise<void>;
  setFlow: (flow: Flow | null) => void;
}

function Screen({ flow, run, signOut, setFlow }: ScreenProps) {
  switch (flow?.state) {
    case "SIGNED_UP":
      return <ConfirmSignUp flow={flow} run={run} />;
    case "NEW_PASSWORD_REQUIRED":
      return <NewPassword flow={flow} run={run} />;
    case "MFA_SETUP":
      return <MfaSetup flow={flow} run={run} />;
    case "SOFTWARE_TOKEN_MFA":
      return (
        <CodeForm title="Enter the code from your authenticator app" button="Verify"
          submit={(code) => run(() => bff.mfaCode({ code }))} />
      );
    case "AUTHENTICATED":
      if (flow.data.can_remember_device && flow.next_steps.includes("remember_device")) {
        return <RememberDevice run={run} />;
      }
      return <Account flow={flow} run={run} signOut={signOut} setFlow={setFlow} />;
    case "RESET_CODE_SENT":
      return <ResetPassword flow={flow} run={run} />;
    case "TEMPORARY_PASSWORD_EXPIRED":
      return <ExpiredTemporaryPassword username={flow.data.username ?? ""} run={run} />;
    default:
      // No flow, signed out, confirmed, expired, temporary password sent: sign in.
      return <Start flow={flow} run={run} />;
  }
}

function Field(props: { label: string; name: string; type?: string; auto?: string; value?: string }) {
  return (
    <label>
      {props.label}
      <input name={props.name} type={props.type ?? "text"} autoComplete={props.auto}
        defaultValue={props.value} required />
    </label>
  );
}

function submitted(event: FormEvent<HTMLFormElement>): Record<string, string> {
  event.preventDefault();
  const values: Record<string, string> = {};
  new FormData(event.currentTarget).forEach((value, key) => (values[key] = String(value)));
  return values;
}

function Start({ flow, run }: { flow: Flow | null; run: ScreenProps["run"] }) {
  const [mode, setMode] = useState<"sign-in" | "sign-up" | "forgot">("sign-in");
  const username = flow?.data.username ?? "";
  const said: Partial<Record<string, string>> = {
    CONFIRMED: flow?.state === "CONFIRMED" && flow.data.password_reset
      ? "Password changed. Sign in with the new one."
      : "Your account is confirmed. Sign in.",
    EXPIRED: "That sign-in took too long. Sign in again.",
    TEMPORARY_PASSWORD_SENT: "Check your email for a new temporary password.",
  };
  const intro = flow ? said[flow.state] : undefined;
  if (mode === "sign-up") {
    return (
      <form onSubmit={(e) => { const v = submitted(e); run(() => bff.signUp({ email: v.email, password: v.password })); }}>
        <h2>Create an account</h2>
        <Field label="Email" name="email" type="email" auto="username" />
        <Field label="Password" name="password" type="password" auto="new-password" />
        <div className="row">
          <button type="submit">Sign up</button>
          <button type="button" onClick={() => setMode("sign-in")}>I have an account</button>
        </div>
      </form>
    );
  }
  if (mode === "forgot") {
    return (
      <form onSubmit={(e) => { const v = submitted(e); run(() => bff.forgotPassword({ username: v.email })); }}>
        <h2>Reset your password</h2>
        <Field label="Email" name="email" type="email" auto="username" value={username} />
        <div className="row">
          <button type="submit">Email me a code</button>
          <button type="button" onClick={() => setMode("sign-in")}>Back</button>
        </div>
      </form>
    );
  }
  return (
    <form onSubmit={(e) => {
      const v = submitted(e);
      run(() => bff.signIn({ username: v.email, password: v.password, device_name: browserName() }));
    }}>
      <h2>Sign in</h2>
      {intro && <p>{intro}</p>}
      <Field label="Email" name="email" type="email" auto="username" value={username} />
      <Field label="Password" name="password" type="password" auto="current-password" />
      <div className="row">
        <button type="submit">Sign in</button>
        <button type="button" onClick={() => setMode("sign-up")}>Create an account</button>
        <button type="button" onClick={() => setMode("forgot")}>Forgot your password?</button>
      </div>
    </form>
  );
}

/** How this browser is listed among the user's devices ("Chrome on Linux"). */
function browserName(): string {
  const agent = navigator.userAgent;
  const browser = /Firefox\//.test(agent) ? "Firefox" : /Edg\//.test(agent) ? "Edge"
    : /Chrom(e|ium)\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : "Browser";
  const system = /Windows/.test(agent) ? "Windows" : /Mac OS/.test(agent) ? "macOS"
    : /Android/.test(agent) ? "Android" : /Linux/.test(agent) ? "Linux" : "";
  return system ? `${browser} on ${system}` : browser;
}

export function CodeForm(props: { title: string; button: string; submit: (code: string) => void; children?: ReactNode }) {
  return (
    <form onSubmit={(e) => props.submit(submitted(e).code)}>
      <h2>{props.title}</h2>
      {props.children}
      <label>
        Code
        <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
      </label>
      <button type="submit">{props.button}</button>
    </form>
  );
}

function ConfirmSignUp({ flow, run }: { flow: FlowIn<"SIGNED_UP">; run: ScreenProps["run"] }) {
  const where = flow.data.code_delivery?.destination;
  return (
    <>
      <CodeForm title="Confirm your email" button="Confirm" submit={(code) => run(() => bff.confirmSignUp({ code }))}>
        <p>{where ? `We emailed a code to ${where}.` : "Enter the code we emailed you."}</p>
      </CodeForm>
      <button type="button" onClick={() => run(() => bff.resendCode(), "We sent a new code.")}>Send a new code</button>
    </>
  );
}

function NewPassword({ flow, run }: { flow: FlowIn<"NEW_PASSWORD_REQUIRED">; run: ScreenProps["run"] }) {
  const required = flow.data.required_attributes ?? [];
  return (
    <form onSubmit={(e) => {
      const v = submitted(e);
      const attributes = Object.fromEntries(required.map((name) => [name, v[name]]));
      run(() => bff.newPassword({ new_password: v.new_password, ...(required.length ? { attributes } : {}) }));
    }}>
      <h2>Choose your password</h2>
      <p>You signed in with a temporary password: choose your own.</p>
      <Field label="New password" name="new_password" type="password" auto="new-password" />
      {required.map((name) => <Field key={name} label={name} name={name} />)}
      <button type="submit">Set password</button>
    </form>
  );
}

export function QrCode({ svg, secret }: { svg?: string; secret?: string }) {
  if (!svg || !secret) return null;
  // An <img> of the BFF's SVG: shown as a picture, never inserted as markup.
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  return (
    <>
      <img className="qr" alt="QR code for your authenticator app" src={src} />
      <p>Or type this key into the app: <code data-testid="totp-secret">{secret}</code></p>
    </>
  );
}

function MfaSetup({ flow, run }: { flow: FlowIn<"MFA_SETUP">; run: ScreenProps["run"] }) {
  return (
    <CodeForm title="Set up your authenticator app" button="Verify"
      submit={(code) => run(() => bff.verifyMfaSetup({ code, device_name: "Authenticator" }))}>
      {flow.data.secret ? (
        <>
          <p>Scan the QR code with an authenticator app, then enter its first code.</p>
          <QrCode svg={flow.data.qr_svg} secret={flow.data.secret} />
        </>
      ) : (
        <p>The key is shown once and this page was reloaded: sign in again for a new key.</p>
      )}
    </CodeForm>
  );
}

function RememberDevice({ run }: { run: ScreenProps["run"] }) {
  return (
    <section>
      <h2>Remember this browser?</h2>
      <p>A remembered browser signs in without an authenticator code.</p>
      <div className="row">
        <button type="button" onClick={() => run(() => bff.rememberDevice({ remember: true }), "This browser is remembered.")}>
          Remember this browser
        </button>
        <button type="button" onClick={() => run(() => bff.rememberDevice({ remember: false }))}>Not now</button>
      </div>
    </section>
  );
}

function ResetPassword({ flow, run }: { flow: FlowIn<"RESET_CODE_SENT">; run: ScreenProps["run"] }) {
  const username = flow.data.username ?? "";
  return (
    <form onSubmit={(e) => {
      const v = submitted(e);
      run(() => bff.resetPassword({ code: v.code, new_password: v.new_password }));
    }}>
      <h2>Choose a new password</h2>
      <p>{flow.data.message ?? `If ${username} has an account, we emailed it a code.`}</p>
      <label>
        Code
        <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
      </label>
      <Field label="New password" name="new_password" type="password" auto="new-password" />
      <div className="row">
        <button type="submit">Change password</button>
        <button type="button" onClick={() => run(() => bff.forgotPassword({ username }), "We sent a new code.")}>
          Send a new code
        </button>
      </div>
    </form>
  );
}

function ExpiredTemporaryPassword({ username, run }: { username: string; run: ScreenProps["run"] }) {
  return (
    <section>
      <h2>Your temporary password has expired</h2>
      <button type="button" onClick={() => run(() => bff.resendTemporaryPassword({ username }))}>
        Send me a new temporary password
      </button>
    </section>
  );
}
