import { packageBuild } from '../../tsup.base'

export default packageBuild('index', 'client', 'cli')
