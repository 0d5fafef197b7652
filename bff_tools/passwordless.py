"""``bff scenario --passwordless``: sign up, then sign in with a code emailed to the user
instead of the password (choice-based sign-in, InitiateAuth USER_AUTH).

Sign up and confirm as in the main scenario, then InitiateAuth USER_AUTH (Cognito answers
SELECT_CHALLENGE with the user's AvailableChallenges), RespondToAuthChallenge choosing
EMAIL_OTP (Cognito emails a code), RespondToAuthChallenge with the code: tokens. Every
outcome is fed to the lifecycle state machine and printed, as in bff.scenario.

Cognito offers an emailed code only to users without MFA, so the pool must not require MFA:
without a configured pool, the local Cognito started for the run provisions one from the
template with ``MfaConfiguration=OPTIONAL``.
"""

from __future__ import annotations

from bff.cognito.types import AuthStep
from bff.errors import BffError
from bff_tools.scenario import MissingAnswer, Scenario
from statemachine import Flow
from statemachine.challenges import EMAIL_OTP, SELECT_CHALLENGE

#: SignUp, ConfirmSignUp, InitiateAuth, two RespondToAuthChallenge.
PASSWORDLESS_STEPS = 5


class PasswordlessScenario(Scenario):
    """The passwordless run: the main scenario's sign-up, then an emailed code."""

    def run(self) -> Flow:
        self.total = PASSWORDLESS_STEPS
        try:
            self._sign_up()
            choice = self._start_choice()
            if EMAIL_OTP not in choice.available_challenges:
                raise self.failure(
                    f"Cognito offers {list(choice.available_challenges)}, not an emailed code: "
                    "the pool must allow EMAIL_OTP as a first factor and not require MFA"
                )
            asked = self._choose_email_code(choice)
            self._answer_email_code(asked)
        except BffError as exc:
            raise self._failed(exc) from exc
        except MissingAnswer as exc:
            raise self.failure(str(exc), code="needs_input") from exc
        self.echo("")
        self.echo(
            f"Done: {self.number} Cognito actions, flow {self.flow.state} after "
            f"{len(self.flow.journal)} transitions; no password was used to sign in."
        )
        return self.flow

    def _start_choice(self) -> AuthStep:
        self._begin("InitiateAuth", "USER_AUTH: which ways to sign in does Cognito offer?")
        step = self._call(
            lambda: self.gateway.initiate_user_auth(self.user.username),
            lambda s: s.as_response(),
        )
        self._show_step(step)
        self._say(f"AvailableChallenges: {', '.join(step.available_challenges)}")
        return step

    def _choose_email_code(self, choice: AuthStep) -> AuthStep:
        self._begin("RespondToAuthChallenge", f"{SELECT_CHALLENGE}: choose {EMAIL_OTP}")
        username = choice.challenge_username(self.user.username)
        responses = {"USERNAME": username, "ANSWER": EMAIL_OTP}
        step = self._call(
            lambda: self.gateway.respond(SELECT_CHALLENGE, responses, choice.session),
            lambda s: s.as_response(),
        )
        self._show_step(step)
        return step

    def _answer_email_code(self, asked: AuthStep) -> None:
        self._begin("RespondToAuthChallenge", f"{EMAIL_OTP}: the code Cognito emailed")
        username = asked.challenge_username(self.user.username)

        def attempt() -> AuthStep:
            code = self.answers.email_code(self.user.email)
            responses = {"USERNAME": username, "EMAIL_OTP_CODE": code}
            return self._call(
                lambda: self.gateway.respond(EMAIL_OTP, responses, asked.session),
                lambda s: s.as_response(),
            )

        done = self._with_retries(
            "the emailed code",
            attempt,
            lambda: self._begin("RespondToAuthChallenge", "try the code again", optional=True),
        )
        self._show_step(done)
        if done.tokens is None:
            raise self.failure(f"expected tokens, Cognito answered {done.challenge_name}")
        self.tokens = done.tokens
