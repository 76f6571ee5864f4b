/** A profile whose key changed (saved, cleared, removed) between a rotation's read of it and its reseal: neither store writes any. */
export class ResealConflict extends Error {
  constructor(readonly profile: string) {
    super(`the API key of profile "${profile}" changed while the keys were resealed: nothing was changed, run it again`)
  }
}
