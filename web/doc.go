// Package web will be stepup's hosted UI: server-rendered html/template
// pages for sign-in, step-up, enrollment and the account page, with static
// assets embedded, a strict Content-Security-Policy and CSRF tokens on every
// form. It drives a stepup flow and hands it back through the flow's
// completion target, so the same pages serve OIDC and the track API.
//
// It holds no code yet: the pages come with the first factors.
package web
