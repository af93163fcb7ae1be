// Package upstream signs users in to stepup through another OpenID
// Provider (Keycloak, Cognito, Auth0, any OIDC IdP), as that provider's
// relying party, with zitadel/oidc's rp package.
//
// A Provider is one configured upstream. It builds the authorization URL
// (PKCE S256, state, nonce, and the acr_values its forwarding mode says)
// and redeems the code, verifying the ID token's issuer, audience,
// signature, expiry and nonce. What the token proves is read in two steps,
// both pure functions of the verified claims: Identity (who: issuer,
// subject, email and whether the upstream verified it) and Trust.Verify
// (how well: the trust map turns the upstream's acr and amr into a stepup
// level, one factor when nothing is trusted, at the upstream's auth_time).
//
// The package holds no per-browser state: the hosted pages keep state,
// nonce and the PKCE verifier bound to the browser and to the flow.
package upstream
