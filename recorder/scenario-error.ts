/** A scenario that is itself invalid: exit status 2, one line naming the file, the step and the field. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly step: number | null,
    readonly field: string | null,
    what: string,
  ) {
    super(`${file}: ${step === null ? '' : `step ${step}: `}${field ? `field "${field}": ` : ''}${what}`);
    this.name = 'ScenarioError';
  }
}
