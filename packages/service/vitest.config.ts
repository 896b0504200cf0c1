import { totemProject } from '../../vitest.shared.ts'

export default totemProject('@totem-ts/service')
