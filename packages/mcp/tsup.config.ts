import { packageBuild } from '../../tsup.base'

export default packageBuild('index', 'ai', 'langchain', 'cli')
