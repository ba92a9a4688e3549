import 'reflect-metadata';
import { Body, Controller, Param, ParseIntPipe, Post, UseGuards, UseInterceptors, type CanActivate, type NestInterceptor } from '@nestjs/common';
import { RecordCorridorTransitionController } from '../../apps/node/src/corridors/record-transition/record-transition.controller';
import { ProblemFilter } from '../../apps/node/src/http/problem.filter';
import { plainNestRoute } from '../../apps/node/src/http/transition-lane';
import { CompiledDtoAwareValidationPipe, dtoValidationPipe } from '../../apps/node/src/http/validation';

/**
 * The transition lane runs the route's controller method itself, so it may only take the route where Nest would run
 * nothing else: any guard, interceptor, other pipe or filter, prefix or versioning keeps the route on the router.
 */
describe('when the transition lane may stand in for Nest', () => {
  const config = (over: Partial<Record<string, () => unknown>> = {}) =>
    ({
      getGlobalPrefix: () => '',
      getVersioning: () => undefined,
      getGlobalFilters: () => [new ProblemFilter()],
      getGlobalPipes: () => [],
      getGlobalInterceptors: () => [],
      getGlobalGuards: () => [],
      getGlobalRequestInterceptors: () => [],
      getGlobalRequestPipes: () => [{ instance: dtoValidationPipe() }],
      getGlobalRequestFilters: () => [{ instance: new ProblemFilter() }],
      getGlobalRequestGuards: () => [],
      ...over,
    }) as Parameters<typeof plainNestRoute>[0];
  const check = (c: Parameters<typeof plainNestRoute>[0], controller: Function = RecordCorridorTransitionController, method = 'record') => plainNestRoute(c, controller, method, CompiledDtoAwareValidationPipe, ProblemFilter);

  it("admits the node's own setup", () => {
    expect(check(config())).toEqual([]);
  });

  it('refuses any other global enhancer, a prefix or versioning', () => {
    const guard: CanActivate = { canActivate: () => true };
    const interceptor: NestInterceptor = { intercept: (_c, next) => next.handle() };
    expect(check(config({ getGlobalPrefix: () => 'v1' }))).toEqual(['a global prefix is set']);
    expect(check(config({ getVersioning: () => ({ type: 0 }) }))).toEqual(['versioning is enabled']);
    expect(check(config({ getGlobalRequestGuards: () => [{ instance: guard }] }))).toEqual(['global guards are registered']);
    expect(check(config({ getGlobalInterceptors: () => [interceptor] }))).toEqual(['global interceptors are registered']);
    expect(check(config({ getGlobalPipes: () => [new ParseIntPipe()] }))).toEqual(['a global pipe other than CompiledDtoAwareValidationPipe is registered']);
    expect(check(config({ getGlobalRequestFilters: () => [{ instance: { catch: () => undefined } }] }))).toEqual(['a global filter other than ProblemFilter is registered']);
  });

  it('refuses a route with enhancers of its own', () => {
    class Guard implements CanActivate {
      canActivate() {
        return true;
      }
    }
    class Interceptor implements NestInterceptor {
      intercept(_c: never, next: { handle(): never }) {
        return next.handle();
      }
    }
    @Controller('x')
    @UseGuards(Guard)
    class Guarded {
      @Post()
      record(@Body() _b: unknown) {}
    }
    @Controller('y')
    class Intercepted {
      @Post()
      @UseInterceptors(Interceptor)
      record(@Param('id', ParseIntPipe) _id: number) {}
    }
    expect(check(config(), Guarded)).toEqual(['the route has guards']);
    expect(check(config(), Intercepted)).toEqual(['the route has interceptors', 'a parameter of the route has pipes']);
    expect(check(config(), RecordCorridorTransitionController, 'nope')).toEqual(['RecordCorridorTransitionController.nope is not a method']);
  });
});
