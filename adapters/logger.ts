// The one structured logger. Never log keys, secrets or event properties.
import { Logger } from '@aws-lambda-powertools/logger';
import { config } from './config';

export const logger = new Logger({ serviceName: 'customersignal', logLevel: config().logLevel });
