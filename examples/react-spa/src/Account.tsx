import type { Device, Flow, FlowIn, Me } from "@cognito-bff/client";
import { useEffect, useState } from "react";

import { CodeForm, QrCode } from "./App";
import { bff, describe } from "./bff";
import { Notes } from "./Notes";

interface Props {
  flow: FlowIn<"AUTHENTICATED">;
  run: (step: () => Promise<Flow>, done?: string) => Promise<void>;
  signOut: (everywhere?: boolean) => Promise<void>;
  setFlow: (flow: Flow | null) => void;
}

/** Signed in: the ID token's claims, devices, and each account step `next_steps` offers. */
export function Account({ flow, run, signOut, setFlow }: Props) {
  const [me, setMe] = useState<Me | null>(null);
  const [devices, setDevices] = useState<Device[]>([]);
  const [problem, setProblem] = useState("");
  const can = (step: Props["flow"]["next_steps"][number]) => flow.next_steps.includes(step);
  const { data } = flow;

  useEffect(() => {
    bff.me().then(setMe, (e) => setProblem(describe(e)));
    bff.devices().then((list) => setDevices(list.devices), (e) => setProblem(describe(e)));
  }, [flow]);

  async function forget(device: Device) {
    try {
      const answer = await bff.forgetDevice(device.device_key);
      if (answer.signed_out) setFlow(answer.flow ?? null);
      else setDevices(answer.devices);
    } catch (e) {
      setProblem(describe(e));
    }
  }

  return (
    <>
      <section>
        <h2>Signed in</h2>
        <p>You are signed in as <strong>{String(me?.user["email"] ?? data.username ?? "")}</strong>.</p>
        {data.device_remembered && <p>This browser is remembered: no authenticator code next time.</p>}
        {data.password_changed && (
          <p>Password changed. {data.sessions_ended ? `${data.sessions_ended} other browser(s) were signed out.` : ""}</p>
        )}
        {data.authenticator_replaced && <p>Your new authenticator app is in use.</p>}
        {problem && <p className="error">{problem}</p>}
      </section>

      <Notes />

      <section>
        <h2>Devices</h2>
        <ul>
          {devices.map((device) => (
            <li key={device.device_key}>
              {device.name ?? "Unnamed device"} {device.this_browser ? "(this browser)" : ""}{" "}
              {device.remembered ? "remembered" : "not remembered"}{" "}
              <button type="button" onClick={() => forget(device)}>Forget</button>
            </li>
          ))}
        </ul>
      </section>

      {can("mfa_status") && (
        <section>
          <h2>Two-step verification</h2>
          {data.mfa ? (
            <p data-testid="mfa-status">
              {data.mfa.authenticator_app ? "Authenticator app: on" : "Authenticator app: off"}
              {data.mfa.preferred ? ` (preferred: ${data.mfa.preferred})` : ""}
            </p>
          ) : (
            <button type="button" onClick={() => run(() => bff.mfaStatus())}>Show MFA status</button>
          )}
        </section>
      )}

      {can("replace_authenticator") && (
        data.secret ? (
          <CodeForm title="Your new authenticator app" button="Use the new app"
            submit={(code) => run(() => bff.verifyAuthenticator({ code }))}>
            <p>Scan the new QR code, then enter the new app's first code. The old app works until then.</p>
            <QrCode svg={data.qr_svg} secret={data.secret} />
          </CodeForm>
        ) : (
          <form onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            run(() => bff.replaceAuthenticator({ password: String(form.get("password")) }));
          }}>
            <h2>Replace your authenticator app</h2>
            <label>Current password<input name="password" type="password" autoComplete="current-password" required /></label>
            <button type="submit">Replace your authenticator app</button>
          </form>
        )
      )}

      {can("change_password") && (
        <form onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          run(() => bff.changePassword({
            previous_password: String(form.get("previous_password")),
            new_password: String(form.get("new_password")),
          }));
        }}>
          <h2>Change your password</h2>
          <label>Current password<input name="previous_password" type="password" autoComplete="current-password" required /></label>
          <label>New password<input name="new_password" type="password" autoComplete="new-password" required /></label>
          <button type="submit">Change password</button>
        </form>
      )}

      <section className="row">
        <button type="button" onClick={() => signOut()}>Sign out</button>
        {can("sign_out_everywhere") && (
          <button type="button" onClick={() => {
            if (window.confirm("Sign out of every browser? A remembered browser still skips MFA: forget it under Devices.")) {
              signOut(true);
            }
          }}>Sign out everywhere</button>
        )}
      </section>
    </>
  );
}
