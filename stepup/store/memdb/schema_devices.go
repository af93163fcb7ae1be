package memdb

import "github.com/stepup-auth/stepup/stepup/store"

const tableDevices = "devices"

// Devices are keyed by (UserID, ID); a user's devices are an id prefix query.
func devicesTable() table {
	type D = store.Device
	return newTable[D](tableDevices,
		stringIndex[D]{"UserID,ID", func(d *D) []string { return []string{d.UserID, d.ID} }},
	)
}
