import { describeError } from '../rpc/connection.ts';

/** A form that shows it is busy while it submits, and the failure (message and code) when one comes back. */
export interface SubmittingForm {
  busy: boolean;
  problem: { message: string; code: string } | undefined;
}

/**
 * Runs `submit` with the form busy and its earlier problem cleared; an error thrown by `submit`
 * becomes the form's problem. `submit` may also set a problem itself (a refused transaction).
 */
export async function submitShowingProblem(form: SubmittingForm, submit: () => Promise<void>): Promise<void> {
  form.busy = true;
  form.problem = undefined;
  try {
    await submit();
  } catch (error) {
    form.problem = describeError(error);
  } finally {
    form.busy = false;
  }
}
