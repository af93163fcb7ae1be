// Package seal encrypts secrets at rest: token signing keys now, TOTP seeds
// later. A Sealer holds one or more master keys; the first seals, and every
// one of them opens, so the master key can be rotated by putting the new key
// first and keeping the old ones until every blob has been sealed again.
//
// Seal uses AES-256-GCM with a fresh random 96-bit nonce per message. A
// sealed blob names the master key that sealed it, and is laid out as
// (version 1):
//
//	offset  size  field
//	0       1     version, 0x01
//	1       1     n, the length of the key id (1-64)
//	2       n     the key id (ASCII letters, digits, '.', '_', '-')
//	2+n     12    nonce
//	14+n    rest  AES-256-GCM ciphertext followed by its 16-byte tag
//
// The GCM additional data is the header (bytes 0 to 2+n) followed by the
// caller's associated data, so neither the header nor the record a blob
// belongs to can be changed without Open failing. Callers pass something
// that names the record (a signing key's kid, an authenticator's id): a blob
// copied into another row then fails to open.
//
// Random nonces are safe for up to 2^32 messages under one master key, far
// more than stepup stores; rotate the master key long before that.
//
// ParseKey reads a master key from configuration, as "base64:" followed by
// 44 characters of standard base64, or as 64 hex digits. Its errors say
// what is wrong without repeating the value. A Key formats itself as its id
// only, so logging one by mistake does not leak the secret.
package seal
