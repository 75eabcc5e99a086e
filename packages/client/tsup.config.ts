import { packageBuild } from '../../tsup.base'

export default packageBuild('index', 'file-store', 'axios', 'cli')
