// Package signalstest builds the MaxMind DB files that tests of the geo
// signals need, in the layouts of MaxMind's City, ASN and Anonymous IP
// databases, with github.com/maxmind/mmdbwriter.
package signalstest
