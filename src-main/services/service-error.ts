// A failure a service reports on purpose: what the user should read, and the HTTP-ish status the door
// answers with (400 bad request, 404 unknown id, 409 conflict, 500 otherwise).
import type { UiError } from '../../src-common/contract';

export type ServiceStatus = 400 | 404 | 409 | 500;

export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    readonly status: ServiceStatus,
    readonly ui: Omit<UiError, 'details'> & { details?: string },
  ) {
    super(ui.message);
  }
}

export const badRequest = (title: string, message: string, hint?: string) =>
  new ServiceError(400, { title, message, code: 'MR4_BAD_REQUEST', ...(hint ? { hint } : {}) });
export const notFound = (what: string, id: string) =>
  new ServiceError(404, {
    title: `Unknown ${what}`,
    message: `There is no ${what} "${id}". It may have been deleted or closed meanwhile.`,
    hint: 'Reload the list and pick it again.',
    code: 'MR4_NOT_FOUND',
  });
export const conflict = (title: string, message: string, hint?: string, code = 'MR4_CONFLICT') =>
  new ServiceError(409, { title, message, code, ...(hint ? { hint } : {}) });
