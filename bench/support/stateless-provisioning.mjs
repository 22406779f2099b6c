// The built-in connector-provisioning-failed without its incidents (one alert per event, no state,
// no repartitioning): bench:kafka runs the typical mix with it beside the built-in, so the cost of
// incidents is measured on the same run.
import {builtInAlerts} from 'fa'

const provisioning = builtInAlerts.find((alert) => alert.name === 'connector-provisioning-failed')

export default {...provisioning, incidents: undefined, stateful: false}
