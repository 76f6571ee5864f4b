/**
 * Encryption for the API keys the desktop app keeps: the Electron shell hands the engine
 * one built on safeStorage (the OS keychain). Headless mode and the CLI have none, so they
 * keep no keys at all: theirs come from the environment or a key file.
 */
export interface SecretBox {
  encrypt(plain: string): Buffer
  decrypt(cipher: Buffer): string
}
