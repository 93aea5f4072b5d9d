-- What an account-page step-up proved (`pwd`, `otp` or `email`): changing second factors
-- needs a proof of the factor that guards the account (accounts::step_up).
ALTER TABLE sessions ADD COLUMN stepped_up_amr TEXT;
